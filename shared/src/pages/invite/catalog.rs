//! Every sentence an invitation page can say, in every locale: a struct, so a missing
//! translation is a compile error.

use crate::domain::Locale;

pub(super) struct InviteStrings {
    pub title: fn(&str) -> String,
    pub intro: fn(&str, &str) -> String,
    pub for_email: fn(&str) -> String,
    pub role: fn(&str) -> String,
    pub role_owner: &'static str,
    pub role_admin: &'static str,
    pub role_member: &'static str,
    pub expires: fn(&str) -> String,
    pub message_intro: fn(&str) -> String,
    pub sign_in_title: &'static str,
    pub sign_in_submit: &'static str,
    pub forgot: &'static str,
    pub register_title: &'static str,
    pub register_submit: &'static str,
    pub email_label: &'static str,
    pub password_label: &'static str,
    pub first_name_label: &'static str,
    pub last_name_label: &'static str,
    pub new_password_label: &'static str,
    pub confirm_label: &'static str,
    pub hint: fn(usize) -> String,
    pub any_email_hint: &'static str,
    pub exact_email_hint: &'static str,
    pub wrong_password: &'static str,
    pub rate_limited: &'static str,
    pub mismatch: fn(&str, &str) -> String,
    pub account_exists: &'static str,
    pub already_member: &'static str,
    pub passwords_differ: &'static str,
    pub registrations_exhausted: &'static str,
    pub new_password_required: &'static str,
    pub new_password_reused: &'static str,
    pub invalid_field: fn(&str) -> String,
    pub joined_title: fn(&str) -> String,
    pub joined_intro: &'static str,
    pub continue_label: &'static str,
    pub sent_title: &'static str,
    pub sent_intro: fn(&str) -> String,
    pub confirm_title: &'static str,
    pub confirm_intro: fn(&str, &str) -> String,
    pub confirm_submit: &'static str,
    pub expired_title: &'static str,
    pub expired_intro: fn(&str) -> String,
    pub expired_intro_anonymous: &'static str,
    pub used_title: &'static str,
    pub used_intro: &'static str,
    pub sign_in: &'static str,
    pub revoked_title: &'static str,
    pub revoked_intro: &'static str,
    pub unknown_title: &'static str,
    pub unknown_intro: &'static str,
}

pub(super) fn invite_strings(locale: Locale) -> &'static InviteStrings {
    match locale {
        Locale::En => &EN,
        Locale::It => &IT,
        Locale::Fr => &FR,
        Locale::Pl => &PL,
    }
}

static EN: InviteStrings = InviteStrings {
    title: |tenant| format!("Join {tenant}"),
    intro: |inviter, tenant| format!("{inviter} invited you to join {tenant}."),
    for_email: |email| format!("The invitation is for {email}."),
    role: |role| format!("You will join as {role}."),
    role_owner: "owner",
    role_admin: "administrator",
    role_member: "member",
    expires: |date| format!("It expires on {date}."),
    message_intro: |inviter| format!("{inviter} wrote:"),
    sign_in_title: "I already have an account",
    sign_in_submit: "Sign in and join",
    forgot: "Forgot your password?",
    register_title: "I am new here",
    register_submit: "Create my account and join",
    email_label: "Email address",
    password_label: "Password",
    first_name_label: "First name",
    last_name_label: "Last name",
    new_password_label: "Choose a password",
    confirm_label: "Repeat the password",
    hint: |min| {
        format!(
            "At least {min} characters. A few unrelated words make a strong password that is easy to remember."
        )
    },
    any_email_hint: "You may use another address: we will send it a link, and its owner confirms it and chooses the password there.",
    exact_email_hint: "This invitation works only with this address.",
    wrong_password: "The email or password is wrong.",
    rate_limited: "Too many attempts. Wait a few minutes and try again.",
    mismatch: |invited, used| {
        format!(
            "You used {used}, but this invitation is for {invited}. Sign in or register with {invited}, or ask for an invitation to {used}."
        )
    },
    account_exists: "An account with this address exists already: sign in to accept instead.",
    already_member: "This account is already a member. Just sign in.",
    passwords_differ: "The two passwords are not the same.",
    registrations_exhausted: "This invitation was used to register other addresses as often as it may. Register the invited address, or ask for an invitation to yours.",
    new_password_required: "This password was set by an administrator of another organisation. To join, sign in with it once more and choose a new password of your own.",
    new_password_reused: "Choose a password other than the one the administrator set.",
    invalid_field: |field| format!("Check this field: {field}."),
    joined_title: |tenant| format!("Welcome to {tenant}"),
    joined_intro: "You are now a member. You can start right away.",
    continue_label: "Continue",
    sent_title: "Confirm your address",
    sent_intro: |email| {
        format!(
            "We sent a link to {email}. Its owner opens it, chooses a password and joins; nothing is created before."
        )
    },
    confirm_title: "Confirm your address",
    confirm_intro: |email, tenant| {
        format!("Confirm that {email} is your address and choose your password to join {tenant}.")
    },
    confirm_submit: "Confirm and join",
    expired_title: "This invitation has expired",
    expired_intro: |inviter| format!("Ask {inviter} to send you a new one."),
    expired_intro_anonymous: "Ask the person who invited you to send a new one.",
    used_title: "This invitation was already accepted",
    used_intro: "Each invitation works once. If you accepted it, sign in.",
    sign_in: "Sign in",
    revoked_title: "This invitation was withdrawn",
    revoked_intro: "It no longer works. If you think this is a mistake, ask the person who invited you.",
    unknown_title: "This invitation link is not valid",
    unknown_intro: "Make sure you opened the whole link from the email: it may have been cut.",
};

static IT: InviteStrings = InviteStrings {
    title: |tenant| format!("Unisciti a {tenant}"),
    intro: |inviter, tenant| format!("{inviter} ti ha invitato a unirti a {tenant}."),
    for_email: |email| format!("L'invito è per {email}."),
    role: |role| format!("Entrerai come {role}."),
    role_owner: "proprietario",
    role_admin: "amministratore",
    role_member: "membro",
    expires: |date| format!("Scade il {date}."),
    message_intro: |inviter| format!("{inviter} ha scritto:"),
    sign_in_title: "Ho già un account",
    sign_in_submit: "Accedi e unisciti",
    forgot: "Password dimenticata?",
    register_title: "Sono nuovo",
    register_submit: "Crea il mio account e unisciti",
    email_label: "Indirizzo email",
    password_label: "Password",
    first_name_label: "Nome",
    last_name_label: "Cognome",
    new_password_label: "Scegli una password",
    confirm_label: "Ripeti la password",
    hint: |min| {
        format!(
            "Almeno {min} caratteri. Alcune parole senza legame tra loro formano una password robusta e facile da ricordare."
        )
    },
    any_email_hint: "Puoi usare un altro indirizzo: gli invieremo un link, e chi lo possiede lo conferma e sceglie lì la password.",
    exact_email_hint: "Questo invito funziona solo con questo indirizzo.",
    wrong_password: "L'email o la password non sono corrette.",
    rate_limited: "Troppi tentativi. Attendi qualche minuto e riprova.",
    mismatch: |invited, used| {
        format!(
            "Hai usato {used}, ma questo invito è per {invited}. Accedi o registrati con {invited}, oppure chiedi un invito per {used}."
        )
    },
    account_exists: "Esiste già un account con questo indirizzo: accedi per accettare.",
    already_member: "Questo account è già membro. Accedi e basta.",
    passwords_differ: "Le due password non coincidono.",
    registrations_exhausted: "Questo invito è già stato usato per registrare altri indirizzi tutte le volte consentite. Registra l'indirizzo invitato, o chiedi un invito per il tuo.",
    new_password_required: "Questa password è stata impostata da un amministratore di un'altra organizzazione. Per entrare, accedi ancora una volta con essa e scegli una nuova password tutta tua.",
    new_password_reused: "Scegli una password diversa da quella impostata dall'amministratore.",
    invalid_field: |field| format!("Controlla questo campo: {field}."),
    joined_title: |tenant| format!("Benvenuto in {tenant}"),
    joined_intro: "Ora sei membro. Puoi iniziare subito.",
    continue_label: "Continua",
    sent_title: "Conferma il tuo indirizzo",
    sent_intro: |email| {
        format!(
            "Abbiamo inviato un link a {email}. Chi possiede l'indirizzo lo apre, sceglie una password e si unisce; prima non viene creato nulla."
        )
    },
    confirm_title: "Conferma il tuo indirizzo",
    confirm_intro: |email, tenant| {
        format!(
            "Conferma che {email} è il tuo indirizzo e scegli la password per unirti a {tenant}."
        )
    },
    confirm_submit: "Conferma e unisciti",
    expired_title: "Questo invito è scaduto",
    expired_intro: |inviter| format!("Chiedi a {inviter} di inviartene uno nuovo."),
    expired_intro_anonymous: "Chiedi a chi ti ha invitato di inviartene uno nuovo.",
    used_title: "Questo invito è già stato accettato",
    used_intro: "Ogni invito funziona una sola volta. Se l'hai accettato, accedi.",
    sign_in: "Accedi",
    revoked_title: "Questo invito è stato ritirato",
    revoked_intro: "Non funziona più. Se pensi che sia un errore, chiedi a chi ti ha invitato.",
    unknown_title: "Questo link di invito non è valido",
    unknown_intro: "Assicurati di aver aperto il link completo dall'email: potrebbe essere stato tagliato.",
};

static FR: InviteStrings = InviteStrings {
    title: |tenant| format!("Rejoindre {tenant}"),
    intro: |inviter, tenant| format!("{inviter} vous a invité à rejoindre {tenant}."),
    for_email: |email| format!("L'invitation est pour {email}."),
    role: |role| format!("Vous rejoindrez en tant que {role}."),
    role_owner: "propriétaire",
    role_admin: "administrateur",
    role_member: "membre",
    expires: |date| format!("Elle expire le {date}."),
    message_intro: |inviter| format!("{inviter} a écrit :"),
    sign_in_title: "J'ai déjà un compte",
    sign_in_submit: "Me connecter et rejoindre",
    forgot: "Mot de passe oublié ?",
    register_title: "Je suis nouveau",
    register_submit: "Créer mon compte et rejoindre",
    email_label: "Adresse e-mail",
    password_label: "Mot de passe",
    first_name_label: "Prénom",
    last_name_label: "Nom",
    new_password_label: "Choisissez un mot de passe",
    confirm_label: "Répétez le mot de passe",
    hint: |min| {
        format!(
            "Au moins {min} caractères. Quelques mots sans rapport entre eux font un mot de passe robuste et facile à retenir."
        )
    },
    any_email_hint: "Vous pouvez utiliser une autre adresse : nous lui enverrons un lien, et son titulaire la confirme et y choisit le mot de passe.",
    exact_email_hint: "Cette invitation ne fonctionne qu'avec cette adresse.",
    wrong_password: "L'e-mail ou le mot de passe est incorrect.",
    rate_limited: "Trop de tentatives. Patientez quelques minutes et réessayez.",
    mismatch: |invited, used| {
        format!(
            "Vous avez utilisé {used}, mais cette invitation est pour {invited}. Connectez-vous ou inscrivez-vous avec {invited}, ou demandez une invitation pour {used}."
        )
    },
    account_exists: "Un compte existe déjà avec cette adresse : connectez-vous pour accepter.",
    already_member: "Ce compte est déjà membre. Connectez-vous simplement.",
    passwords_differ: "Les deux mots de passe ne sont pas identiques.",
    registrations_exhausted: "Cette invitation a déjà servi à inscrire d'autres adresses autant de fois que permis. Inscrivez l'adresse invitée, ou demandez une invitation pour la vôtre.",
    new_password_required: "Ce mot de passe a été défini par un administrateur d'une autre organisation. Pour rejoindre, connectez-vous encore une fois avec lui et choisissez un nouveau mot de passe à vous.",
    new_password_reused: "Choisissez un mot de passe différent de celui défini par l'administrateur.",
    invalid_field: |field| format!("Vérifiez ce champ : {field}."),
    joined_title: |tenant| format!("Bienvenue dans {tenant}"),
    joined_intro: "Vous êtes maintenant membre. Vous pouvez commencer tout de suite.",
    continue_label: "Continuer",
    sent_title: "Confirmez votre adresse",
    sent_intro: |email| {
        format!(
            "Nous avons envoyé un lien à {email}. Son titulaire l'ouvre, choisit un mot de passe et rejoint ; rien n'est créé avant."
        )
    },
    confirm_title: "Confirmez votre adresse",
    confirm_intro: |email, tenant| {
        format!(
            "Confirmez que {email} est votre adresse et choisissez votre mot de passe pour rejoindre {tenant}."
        )
    },
    confirm_submit: "Confirmer et rejoindre",
    expired_title: "Cette invitation a expiré",
    expired_intro: |inviter| format!("Demandez à {inviter} de vous en envoyer une nouvelle."),
    expired_intro_anonymous: "Demandez à la personne qui vous a invité de vous en envoyer une nouvelle.",
    used_title: "Cette invitation a déjà été acceptée",
    used_intro: "Chaque invitation ne fonctionne qu'une fois. Si vous l'avez acceptée, connectez-vous.",
    sign_in: "Se connecter",
    revoked_title: "Cette invitation a été retirée",
    revoked_intro: "Elle ne fonctionne plus. Si vous pensez qu'il s'agit d'une erreur, demandez à la personne qui vous a invité.",
    unknown_title: "Ce lien d'invitation n'est pas valide",
    unknown_intro: "Vérifiez que vous avez ouvert le lien complet depuis l'e-mail : il a peut-être été coupé.",
};

static PL: InviteStrings = InviteStrings {
    title: |tenant| format!("Dołącz do {tenant}"),
    intro: |inviter, tenant| format!("{inviter} zaprasza Cię do {tenant}."),
    for_email: |email| format!("Zaproszenie jest dla {email}."),
    role: |role| format!("Dołączysz jako {role}."),
    role_owner: "właściciel",
    role_admin: "administrator",
    role_member: "członek",
    expires: |date| format!("Wygasa {date}."),
    message_intro: |inviter| format!("{inviter} napisał(a):"),
    sign_in_title: "Mam już konto",
    sign_in_submit: "Zaloguj się i dołącz",
    forgot: "Nie pamiętasz hasła?",
    register_title: "Jestem tu nowy",
    register_submit: "Utwórz konto i dołącz",
    email_label: "Adres e-mail",
    password_label: "Hasło",
    first_name_label: "Imię",
    last_name_label: "Nazwisko",
    new_password_label: "Ustaw hasło",
    confirm_label: "Powtórz hasło",
    hint: |min| {
        format!(
            "Co najmniej {min} znaków. Kilka niezwiązanych ze sobą słów to mocne hasło, które łatwo zapamiętać."
        )
    },
    any_email_hint: "Możesz użyć innego adresu: wyślemy na niego link, a jego właściciel potwierdzi go i wybierze tam hasło.",
    exact_email_hint: "To zaproszenie działa tylko z tym adresem.",
    wrong_password: "Adres e-mail lub hasło są nieprawidłowe.",
    rate_limited: "Zbyt wiele prób. Odczekaj kilka minut i spróbuj ponownie.",
    mismatch: |invited, used| {
        format!(
            "Użyto adresu {used}, ale to zaproszenie jest dla {invited}. Zaloguj się lub zarejestruj adresem {invited} albo poproś o zaproszenie dla {used}."
        )
    },
    account_exists: "Konto z tym adresem już istnieje: zaloguj się, aby przyjąć zaproszenie.",
    already_member: "To konto jest już członkiem. Wystarczy się zalogować.",
    passwords_differ: "Hasła nie są takie same.",
    registrations_exhausted: "To zaproszenie posłużyło już do rejestracji innych adresów tyle razy, ile wolno. Zarejestruj zaproszony adres albo poproś o zaproszenie na swój.",
    new_password_required: "To hasło ustawił administrator innej organizacji. Aby dołączyć, zaloguj się nim jeszcze raz i wybierz nowe, własne hasło.",
    new_password_reused: "Wybierz hasło inne niż to, które ustawił administrator.",
    invalid_field: |field| format!("Sprawdź to pole: {field}."),
    joined_title: |tenant| format!("Witamy w {tenant}"),
    joined_intro: "Jesteś teraz członkiem. Możesz od razu zacząć.",
    continue_label: "Dalej",
    sent_title: "Potwierdź swój adres",
    sent_intro: |email| {
        format!(
            "Wysłaliśmy link na adres {email}. Jego właściciel otworzy go, wybierze hasło i dołączy; wcześniej nic nie zostanie utworzone."
        )
    },
    confirm_title: "Potwierdź swój adres",
    confirm_intro: |email, tenant| {
        format!("Potwierdź, że {email} to Twój adres, i wybierz hasło, aby dołączyć do {tenant}.")
    },
    confirm_submit: "Potwierdź i dołącz",
    expired_title: "To zaproszenie wygasło",
    expired_intro: |inviter| format!("Poproś osobę {inviter} o nowe zaproszenie."),
    expired_intro_anonymous: "Poproś osobę, która Cię zaprosiła, o nowe zaproszenie.",
    used_title: "To zaproszenie zostało już przyjęte",
    used_intro: "Każde zaproszenie działa tylko raz. Jeśli je przyjąłeś(-ęłaś), zaloguj się.",
    sign_in: "Zaloguj się",
    revoked_title: "To zaproszenie zostało wycofane",
    revoked_intro: "Już nie działa. Jeśli uważasz, że to pomyłka, zapytaj osobę, która Cię zaprosiła.",
    unknown_title: "Ten link z zaproszeniem jest nieprawidłowy",
    unknown_intro: "Upewnij się, że otwarto cały link z wiadomości: mógł zostać ucięty.",
};
