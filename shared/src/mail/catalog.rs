//! Every sentence a mail can say, in every locale. A struct rather than key files: a missing
//! translation is a compile error, and placeholders are checked by the compiler.

use crate::domain::Locale;

pub(super) struct Strings {
    pub greeting: fn(&str) -> String,
    pub footer: &'static str,
    pub sign_in: &'static str,
    pub created_subject: fn(&str) -> String,
    pub created_intro: fn(&str) -> String,
    pub created_sign_in_with: fn(&str) -> String,
    pub created_generated_note: &'static str,
    pub created_set_note: &'static str,
    pub choose_subject: fn(&str) -> String,
    pub choose_intro: fn(&str) -> String,
    pub choose_action: &'static str,
    pub link_validity_days: fn(i64) -> String,
    pub not_expected: &'static str,
    pub signup_subject: &'static str,
    pub signup_intro: &'static str,
    pub signup_action: &'static str,
    pub signup_exists_subject: &'static str,
    pub signup_exists_intro: &'static str,
    pub signup_exists_note: &'static str,
    pub greeting_anonymous: &'static str,
    pub role_owner: &'static str,
    pub role_admin: &'static str,
    pub role_member: &'static str,
    pub invite_subject: fn(&str, &str) -> String,
    pub resent_subject: fn(&str, &str) -> String,
    pub invite_intro: fn(&str, &str) -> String,
    pub invite_role: fn(&str) -> String,
    pub invite_message: fn(&str) -> String,
    pub invite_action: &'static str,
    pub invite_expires: fn(&str) -> String,
    pub resent_note: &'static str,
    pub accepted_subject: fn(&str, &str) -> String,
    pub accepted_intro: fn(&str, &str, &str) -> String,
    pub access_subject: fn(&str) -> String,
    pub access_intro: fn(&str) -> String,
    pub welcome_subject: fn(&str) -> String,
    pub welcome_intro: fn(&str) -> String,
    pub welcome_note: &'static str,
    pub get_started: &'static str,
    pub joined_subject: fn(&str, &str) -> String,
    pub joined_intro: fn(&str, &str) -> String,
    pub joined_note: &'static str,
    pub confirm_subject: fn(&str) -> String,
    pub confirm_intro: fn(&str) -> String,
    pub confirm_action: &'static str,
    pub has_account_subject: fn(&str) -> String,
    pub has_account_intro: fn(&str) -> String,
    pub has_account_note: fn(&str) -> String,
    pub reset_subject: &'static str,
    pub reset_intro: &'static str,
    pub reset_action: &'static str,
    pub link_validity_minutes: fn(i64) -> String,
    pub link_validity_hours: fn(i64) -> String,
    pub reset_not_requested: &'static str,
    pub admin_reset_subject: fn(&str) -> String,
    pub admin_reset_intro: fn(&str) -> String,
    pub changed_subject: &'static str,
    pub changed_intro: &'static str,
    pub changed_not_you: &'static str,
    pub set_subject: &'static str,
    pub set_intro: &'static str,
    pub admin_generated_subject: fn(&str) -> String,
    pub admin_generated_intro: fn(&str) -> String,
    pub contact_admin: &'static str,
    pub webhook_disabled_subject: fn(&str) -> String,
    pub webhook_disabled_intro: fn(&str, &str) -> String,
    pub webhook_gone: &'static str,
    pub webhook_failing: fn(i64) -> String,
    pub webhook_enable_note: &'static str,
}

pub(super) fn strings(locale: Locale) -> &'static Strings {
    match locale {
        Locale::En => &EN,
        Locale::It => &IT,
        Locale::Fr => &FR,
        Locale::Pl => &PL,
    }
}

static EN: Strings = Strings {
    greeting: |name| format!("Hello {name},"),
    footer: "This message was sent automatically by Usher. Please do not reply.",
    sign_in: "Sign in",
    created_subject: |tenant| format!("Your account at {tenant} is ready"),
    created_intro: |tenant| format!("An administrator of {tenant} created an account for you."),
    created_sign_in_with: |email| format!("Sign in with your email address {email}."),
    created_generated_note: "Your administrator will give you a temporary password. You will choose your own password when you first sign in.",
    created_set_note: "Your administrator chose your password and will tell you how to get it.",
    choose_subject: |tenant| format!("Choose your password for {tenant}"),
    choose_intro: |tenant| {
        format!("An account at {tenant} is waiting for you. Choose a password to start using it.")
    },
    choose_action: "Choose your password",
    link_validity_days: |days| format!("This link works once and expires in {days} days."),
    not_expected: "If you did not expect this message, you can ignore it.",
    signup_subject: "Confirm your email address to create your organisation",
    signup_intro: "Someone, hopefully you, asked to create an organisation with this email address. Confirm it, choose your password and name your organisation.",
    signup_action: "Confirm and continue",
    signup_exists_subject: "Someone tried to sign up with your address",
    signup_exists_intro: "Someone asked to create a new organisation with this email address. It already has an account, so nothing was created and nothing changed.",
    signup_exists_note: "If it was you, sign in and create the organisation from your account. If you forgot your password, ask for a new one from the sign-in page.",
    greeting_anonymous: "Hello,",
    role_owner: "owner",
    role_admin: "administrator",
    role_member: "member",
    invite_subject: |inviter, tenant| format!("{inviter} invites you to join {tenant}"),
    resent_subject: |inviter, tenant| format!("Reminder: {inviter} invites you to join {tenant}"),
    invite_intro: |inviter, tenant| format!("{inviter} invited you to join {tenant}."),
    invite_role: |role| format!("You will join as {role}."),
    invite_message: |inviter| format!("{inviter} wrote:"),
    invite_action: "Accept the invitation",
    invite_expires: |date| format!("This invitation works once and expires on {date}."),
    resent_note: "This is a new link: earlier links for this invitation no longer work.",
    accepted_subject: |member, tenant| format!("{member} accepted your invitation to {tenant}"),
    accepted_intro: |member, email, tenant| {
        format!("{member} ({email}) accepted your invitation and is now a member of {tenant}.")
    },
    access_subject: |tenant| format!("You can sign in to {tenant}"),
    access_intro: |tenant| {
        format!(
            "An administrator of {tenant} gave you access. Sign in with your email address and your password."
        )
    },
    welcome_subject: |tenant| format!("Welcome to {tenant}"),
    welcome_intro: |tenant| format!("You are now a member of {tenant}."),
    welcome_note: "Sign in with your email address and your password.",
    get_started: "Get started",
    joined_subject: |member, tenant| format!("{member} joined {tenant}"),
    joined_intro: |member, tenant| format!("{member} is now a member of {tenant}."),
    joined_note: "Your organisation tells its members when someone new joins.",
    confirm_subject: |tenant| format!("Someone asked to register this address with {tenant}"),
    confirm_intro: |tenant| {
        format!(
            "Someone holding an invitation to {tenant} asked to register this email address. If it was you, confirm the address and choose your password."
        )
    },
    confirm_action: "Confirm and choose a password",
    has_account_subject: |tenant| format!("Someone asked to register this address with {tenant}"),
    has_account_intro: |tenant| {
        format!(
            "Someone holding an invitation to {tenant} asked to register this email address. It already has an account, so nothing was registered and nothing changed."
        )
    },
    has_account_note: |tenant| {
        format!(
            "If it was you and you want to join {tenant}, ask them for an invitation to this address and sign in to accept it."
        )
    },
    reset_subject: "Reset your password",
    reset_intro: "Someone, hopefully you, asked to reset the password of your account.",
    reset_action: "Choose a new password",
    link_validity_minutes: |minutes| {
        format!("This link works once and expires in {minutes} minutes.")
    },
    link_validity_hours: |hours| format!("This link works once and expires in {hours} hours."),
    reset_not_requested: "If you did not ask for this, ignore this message: your password stays as it is.",
    admin_reset_subject: |tenant| format!("Reset your password for {tenant}"),
    admin_reset_intro: |tenant| {
        format!("An administrator of {tenant} asked for your password to be reset.")
    },
    changed_subject: "Your password was changed",
    changed_intro: "The password of your account was just changed, and every device signed in to it was signed out.",
    changed_not_you: "If this was not you, ask for a new password right away with the \"Forgot password\" link, and tell your administrator.",
    set_subject: "Your password is set",
    set_intro: "You chose the password of your account. Sign in with it whenever you like.",
    admin_generated_subject: |tenant| format!("Your password for {tenant} was reset"),
    admin_generated_intro: |tenant| {
        format!(
            "An administrator of {tenant} reset your password and signed you out everywhere. They will give you a temporary password; you will choose your own when you next sign in."
        )
    },
    contact_admin: "If you did not expect this, contact your administrator.",
    webhook_disabled_subject: |tenant| format!("A webhook endpoint of {tenant} was turned off"),
    webhook_disabled_intro: |url, tenant| {
        format!("Usher stopped sending events of {tenant} to {url}.")
    },
    webhook_gone: "It answered 410 Gone, which says it no longer wants them.",
    webhook_failing: |days| format!("Every delivery to it failed for {days} days."),
    webhook_enable_note: "Events are kept: once the endpoint works, an admin can turn it back on and replay what it missed.",
};

static IT: Strings = Strings {
    greeting: |name| format!("Ciao {name},"),
    footer: "Questo messaggio è stato inviato automaticamente da Usher. Non rispondere.",
    sign_in: "Accedi",
    created_subject: |tenant| format!("Il tuo account su {tenant} è pronto"),
    created_intro: |tenant| format!("Un amministratore di {tenant} ha creato un account per te."),
    created_sign_in_with: |email| format!("Accedi con il tuo indirizzo email {email}."),
    created_generated_note: "Il tuo amministratore ti comunicherà una password temporanea. Sceglierai la tua password al primo accesso.",
    created_set_note: "Il tuo amministratore ha scelto la tua password e ti dirà come riceverla.",
    choose_subject: |tenant| format!("Scegli la tua password per {tenant}"),
    choose_intro: |tenant| {
        format!("Ti aspetta un account su {tenant}. Scegli una password per iniziare a usarlo.")
    },
    choose_action: "Scegli la password",
    link_validity_days: |days| {
        format!("Questo link funziona una sola volta e scade tra {days} giorni.")
    },
    not_expected: "Se non ti aspettavi questo messaggio, puoi ignorarlo.",
    signup_subject: "Conferma il tuo indirizzo email per creare la tua organizzazione",
    signup_intro: "Qualcuno, speriamo tu, ha chiesto di creare un'organizzazione con questo indirizzo email. Confermalo, scegli la tua password e dai un nome alla tua organizzazione.",
    signup_action: "Conferma e continua",
    signup_exists_subject: "Qualcuno ha provato a registrarsi con il tuo indirizzo",
    signup_exists_intro: "Qualcuno ha chiesto di creare una nuova organizzazione con questo indirizzo email. Esiste già un account con questo indirizzo, quindi non è stato creato nulla e nulla è cambiato.",
    signup_exists_note: "Se sei stato tu, accedi e crea l'organizzazione dal tuo account. Se hai dimenticato la password, chiedine una nuova dalla pagina di accesso.",
    greeting_anonymous: "Ciao,",
    role_owner: "proprietario",
    role_admin: "amministratore",
    role_member: "membro",
    invite_subject: |inviter, tenant| format!("{inviter} ti invita a unirti a {tenant}"),
    resent_subject: |inviter, tenant| {
        format!("Promemoria: {inviter} ti invita a unirti a {tenant}")
    },
    invite_intro: |inviter, tenant| format!("{inviter} ti ha invitato a unirti a {tenant}."),
    invite_role: |role| format!("Entrerai come {role}."),
    invite_message: |inviter| format!("{inviter} ha scritto:"),
    invite_action: "Accetta l'invito",
    invite_expires: |date| format!("Questo invito funziona una sola volta e scade il {date}."),
    resent_note: "Questo è un nuovo link: i link precedenti di questo invito non funzionano più.",
    accepted_subject: |member, tenant| format!("{member} ha accettato il tuo invito a {tenant}"),
    accepted_intro: |member, email, tenant| {
        format!("{member} ({email}) ha accettato il tuo invito ed è ora membro di {tenant}.")
    },
    access_subject: |tenant| format!("Puoi accedere a {tenant}"),
    access_intro: |tenant| {
        format!(
            "Un amministratore di {tenant} ti ha dato accesso. Accedi con il tuo indirizzo email e la tua password."
        )
    },
    welcome_subject: |tenant| format!("Benvenuto in {tenant}"),
    welcome_intro: |tenant| format!("Ora fai parte di {tenant}."),
    welcome_note: "Accedi con il tuo indirizzo email e la tua password.",
    get_started: "Inizia",
    joined_subject: |member, tenant| format!("{member} si è unito a {tenant}"),
    joined_intro: |member, tenant| format!("{member} è ora membro di {tenant}."),
    joined_note: "La tua organizzazione avvisa i suoi membri quando entra una nuova persona.",
    confirm_subject: |tenant| {
        format!("Qualcuno ha chiesto di registrare questo indirizzo presso {tenant}")
    },
    confirm_intro: |tenant| {
        format!(
            "Qualcuno con un invito a {tenant} ha chiesto di registrare questo indirizzo email. Se sei stato tu, conferma l'indirizzo e scegli la tua password."
        )
    },
    confirm_action: "Conferma e scegli una password",
    has_account_subject: |tenant| {
        format!("Qualcuno ha chiesto di registrare questo indirizzo presso {tenant}")
    },
    has_account_intro: |tenant| {
        format!(
            "Qualcuno con un invito a {tenant} ha chiesto di registrare questo indirizzo email. L'indirizzo ha già un account: non è stato registrato nulla e nulla è cambiato."
        )
    },
    has_account_note: |tenant| {
        format!(
            "Se sei stato tu e vuoi unirti a {tenant}, chiedi un invito per questo indirizzo e accedi per accettarlo."
        )
    },
    reset_subject: "Reimposta la tua password",
    reset_intro: "Qualcuno, speriamo tu, ha chiesto di reimpostare la password del tuo account.",
    reset_action: "Scegli una nuova password",
    link_validity_minutes: |minutes| {
        format!("Questo link funziona una sola volta e scade tra {minutes} minuti.")
    },
    link_validity_hours: |hours| {
        format!("Questo link funziona una sola volta e scade tra {hours} ore.")
    },
    reset_not_requested: "Se non l'hai chiesto tu, ignora questo messaggio: la tua password resta invariata.",
    admin_reset_subject: |tenant| format!("Reimposta la tua password per {tenant}"),
    admin_reset_intro: |tenant| {
        format!("Un amministratore di {tenant} ha chiesto di reimpostare la tua password.")
    },
    changed_subject: "La tua password è stata cambiata",
    changed_intro: "La password del tuo account è appena stata cambiata e tutti i dispositivi collegati sono stati disconnessi.",
    changed_not_you: "Se non sei stato tu, chiedi subito una nuova password con il link \"Password dimenticata\" e avvisa il tuo amministratore.",
    set_subject: "La tua password è impostata",
    set_intro: "Hai scelto la password del tuo account. Accedi con essa quando vuoi.",
    admin_generated_subject: |tenant| format!("La tua password per {tenant} è stata reimpostata"),
    admin_generated_intro: |tenant| {
        format!(
            "Un amministratore di {tenant} ha reimpostato la tua password e ti ha disconnesso ovunque. Ti comunicherà una password temporanea; sceglierai la tua al prossimo accesso."
        )
    },
    contact_admin: "Se non te lo aspettavi, contatta il tuo amministratore.",
    webhook_disabled_subject: |tenant| {
        format!("Un endpoint webhook di {tenant} è stato disattivato")
    },
    webhook_disabled_intro: |url, tenant| {
        format!("Usher ha smesso di inviare gli eventi di {tenant} a {url}.")
    },
    webhook_gone: "Ha risposto 410 Gone, cioè non li vuole più.",
    webhook_failing: |days| format!("Ogni consegna è fallita per {days} giorni."),
    webhook_enable_note: "Gli eventi sono conservati: quando l'endpoint funziona, un amministratore può riattivarlo e reinviare ciò che ha perso.",
};

static FR: Strings = Strings {
    greeting: |name| format!("Bonjour {name},"),
    footer: "Ce message a été envoyé automatiquement par Usher. Merci de ne pas y répondre.",
    sign_in: "Se connecter",
    created_subject: |tenant| format!("Votre compte {tenant} est prêt"),
    created_intro: |tenant| format!("Un administrateur de {tenant} a créé un compte pour vous."),
    created_sign_in_with: |email| format!("Connectez-vous avec votre adresse e-mail {email}."),
    created_generated_note: "Votre administrateur vous communiquera un mot de passe temporaire. Vous choisirez votre propre mot de passe lors de votre première connexion.",
    created_set_note: "Votre administrateur a choisi votre mot de passe et vous indiquera comment l'obtenir.",
    choose_subject: |tenant| format!("Choisissez votre mot de passe pour {tenant}"),
    choose_intro: |tenant| {
        format!(
            "Un compte {tenant} vous attend. Choisissez un mot de passe pour commencer à l'utiliser."
        )
    },
    choose_action: "Choisir mon mot de passe",
    link_validity_days: |days| {
        format!("Ce lien ne fonctionne qu'une fois et expire dans {days} jours.")
    },
    not_expected: "Si vous n'attendiez pas ce message, vous pouvez l'ignorer.",
    signup_subject: "Confirmez votre adresse e-mail pour créer votre organisation",
    signup_intro: "Quelqu'un, vous sans doute, a demandé à créer une organisation avec cette adresse e-mail. Confirmez-la, choisissez votre mot de passe et nommez votre organisation.",
    signup_action: "Confirmer et continuer",
    signup_exists_subject: "Quelqu'un a essayé de s'inscrire avec votre adresse",
    signup_exists_intro: "Quelqu'un a demandé à créer une nouvelle organisation avec cette adresse e-mail. Elle a déjà un compte : rien n'a été créé et rien n'a changé.",
    signup_exists_note: "Si c'était vous, connectez-vous et créez l'organisation depuis votre compte. Si vous avez oublié votre mot de passe, demandez-en un nouveau depuis la page de connexion.",
    greeting_anonymous: "Bonjour,",
    role_owner: "propriétaire",
    role_admin: "administrateur",
    role_member: "membre",
    invite_subject: |inviter, tenant| format!("{inviter} vous invite à rejoindre {tenant}"),
    resent_subject: |inviter, tenant| {
        format!("Rappel : {inviter} vous invite à rejoindre {tenant}")
    },
    invite_intro: |inviter, tenant| format!("{inviter} vous a invité à rejoindre {tenant}."),
    invite_role: |role| format!("Vous rejoindrez en tant que {role}."),
    invite_message: |inviter| format!("{inviter} a écrit :"),
    invite_action: "Accepter l'invitation",
    invite_expires: |date| {
        format!("Cette invitation ne fonctionne qu'une fois et expire le {date}.")
    },
    resent_note: "Ceci est un nouveau lien : les liens précédents de cette invitation ne fonctionnent plus.",
    accepted_subject: |member, tenant| format!("{member} a accepté votre invitation à {tenant}"),
    accepted_intro: |member, email, tenant| {
        format!(
            "{member} ({email}) a accepté votre invitation et est maintenant membre de {tenant}."
        )
    },
    access_subject: |tenant| format!("Vous pouvez vous connecter à {tenant}"),
    access_intro: |tenant| {
        format!(
            "Un administrateur de {tenant} vous a donné accès. Connectez-vous avec votre adresse e-mail et votre mot de passe."
        )
    },
    welcome_subject: |tenant| format!("Bienvenue dans {tenant}"),
    welcome_intro: |tenant| format!("Vous êtes maintenant membre de {tenant}."),
    welcome_note: "Connectez-vous avec votre adresse e-mail et votre mot de passe.",
    get_started: "Commencer",
    joined_subject: |member, tenant| format!("{member} a rejoint {tenant}"),
    joined_intro: |member, tenant| format!("{member} est maintenant membre de {tenant}."),
    joined_note: "Votre organisation prévient ses membres quand une nouvelle personne la rejoint.",
    confirm_subject: |tenant| {
        format!("Quelqu'un a demandé à inscrire cette adresse auprès de {tenant}")
    },
    confirm_intro: |tenant| {
        format!(
            "Quelqu'un disposant d'une invitation à {tenant} a demandé à inscrire cette adresse e-mail. Si c'était vous, confirmez l'adresse et choisissez votre mot de passe."
        )
    },
    confirm_action: "Confirmer et choisir un mot de passe",
    has_account_subject: |tenant| {
        format!("Quelqu'un a demandé à inscrire cette adresse auprès de {tenant}")
    },
    has_account_intro: |tenant| {
        format!(
            "Quelqu'un disposant d'une invitation à {tenant} a demandé à inscrire cette adresse e-mail. Elle a déjà un compte : rien n'a été inscrit et rien n'a changé."
        )
    },
    has_account_note: |tenant| {
        format!(
            "Si c'était vous et que vous voulez rejoindre {tenant}, demandez une invitation pour cette adresse et connectez-vous pour l'accepter."
        )
    },
    reset_subject: "Réinitialisez votre mot de passe",
    reset_intro: "Quelqu'un, vous sans doute, a demandé à réinitialiser le mot de passe de votre compte.",
    reset_action: "Choisir un nouveau mot de passe",
    link_validity_minutes: |minutes| {
        format!("Ce lien ne fonctionne qu'une fois et expire dans {minutes} minutes.")
    },
    link_validity_hours: |hours| {
        format!("Ce lien ne fonctionne qu'une fois et expire dans {hours} heures.")
    },
    reset_not_requested: "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.",
    admin_reset_subject: |tenant| format!("Réinitialisez votre mot de passe pour {tenant}"),
    admin_reset_intro: |tenant| {
        format!(
            "Un administrateur de {tenant} a demandé la réinitialisation de votre mot de passe."
        )
    },
    changed_subject: "Votre mot de passe a été modifié",
    changed_intro: "Le mot de passe de votre compte vient d'être modifié et tous les appareils connectés ont été déconnectés.",
    changed_not_you: "Si ce n'était pas vous, demandez immédiatement un nouveau mot de passe avec le lien « Mot de passe oublié » et prévenez votre administrateur.",
    set_subject: "Votre mot de passe est défini",
    set_intro: "Vous avez choisi le mot de passe de votre compte. Connectez-vous avec lui quand vous le souhaitez.",
    admin_generated_subject: |tenant| {
        format!("Votre mot de passe pour {tenant} a été réinitialisé")
    },
    admin_generated_intro: |tenant| {
        format!(
            "Un administrateur de {tenant} a réinitialisé votre mot de passe et vous a déconnecté partout. Il vous communiquera un mot de passe temporaire ; vous choisirez le vôtre à la prochaine connexion."
        )
    },
    contact_admin: "Si vous ne vous y attendiez pas, contactez votre administrateur.",
    webhook_disabled_subject: |tenant| {
        format!("Un point de terminaison webhook de {tenant} a été désactivé")
    },
    webhook_disabled_intro: |url, tenant| {
        format!("Usher n'envoie plus les événements de {tenant} à {url}.")
    },
    webhook_gone: "Il a répondu 410 Gone : il n'en veut plus.",
    webhook_failing: |days| format!("Toutes les livraisons ont échoué pendant {days} jours."),
    webhook_enable_note: "Les événements sont conservés : une fois le point de terminaison rétabli, un administrateur peut le réactiver et renvoyer ce qu'il a manqué.",
};

static PL: Strings = Strings {
    greeting: |name| format!("Dzień dobry {name},"),
    footer: "Ta wiadomość została wysłana automatycznie przez Usher. Prosimy na nią nie odpowiadać.",
    sign_in: "Zaloguj się",
    created_subject: |tenant| format!("Twoje konto w {tenant} jest gotowe"),
    created_intro: |tenant| format!("Administrator {tenant} utworzył dla Ciebie konto."),
    created_sign_in_with: |email| format!("Zaloguj się adresem e-mail {email}."),
    created_generated_note: "Administrator przekaże Ci hasło tymczasowe. Własne hasło ustawisz przy pierwszym logowaniu.",
    created_set_note: "Administrator ustawił Twoje hasło i powie Ci, jak je otrzymać.",
    choose_subject: |tenant| format!("Ustaw hasło do {tenant}"),
    choose_intro: |tenant| {
        format!("Czeka na Ciebie konto w {tenant}. Ustaw hasło, aby zacząć z niego korzystać.")
    },
    choose_action: "Ustaw hasło",
    link_validity_days: |days| format!("Ten link działa tylko raz i wygasa za {days} dni."),
    not_expected: "Jeśli nie spodziewałeś się tej wiadomości, możesz ją zignorować.",
    signup_subject: "Potwierdź adres e-mail, aby utworzyć organizację",
    signup_intro: "Ktoś, miejmy nadzieję, że Ty, poprosił o utworzenie organizacji z tym adresem e-mail. Potwierdź go, wybierz hasło i nazwij swoją organizację.",
    signup_action: "Potwierdź i kontynuuj",
    signup_exists_subject: "Ktoś próbował zarejestrować się Twoim adresem",
    signup_exists_intro: "Ktoś poprosił o utworzenie nowej organizacji z tym adresem e-mail. Ten adres ma już konto, więc nic nie zostało utworzone i nic się nie zmieniło.",
    signup_exists_note: "Jeśli to Ty, zaloguj się i utwórz organizację ze swojego konta. Jeśli nie pamiętasz hasła, poproś o nowe na stronie logowania.",
    greeting_anonymous: "Dzień dobry,",
    role_owner: "właściciel",
    role_admin: "administrator",
    role_member: "członek",
    invite_subject: |inviter, tenant| format!("{inviter} zaprasza Cię do {tenant}"),
    resent_subject: |inviter, tenant| format!("Przypomnienie: {inviter} zaprasza Cię do {tenant}"),
    invite_intro: |inviter, tenant| format!("{inviter} zaprosił(a) Cię do {tenant}."),
    invite_role: |role| format!("Dołączysz jako {role}."),
    invite_message: |inviter| format!("{inviter} napisał(a):"),
    invite_action: "Przyjmij zaproszenie",
    invite_expires: |date| format!("To zaproszenie działa tylko raz i wygasa {date}."),
    resent_note: "To nowy link: wcześniejsze linki tego zaproszenia już nie działają.",
    accepted_subject: |member, tenant| {
        format!("{member} przyjął(ęła) Twoje zaproszenie do {tenant}")
    },
    accepted_intro: |member, email, tenant| {
        format!(
            "{member} ({email}) przyjął(ęła) Twoje zaproszenie i jest teraz członkiem {tenant}."
        )
    },
    access_subject: |tenant| format!("Możesz zalogować się do {tenant}"),
    access_intro: |tenant| {
        format!("Administrator {tenant} przyznał Ci dostęp. Zaloguj się adresem e-mail i hasłem.")
    },
    welcome_subject: |tenant| format!("Witamy w {tenant}"),
    welcome_intro: |tenant| format!("Jesteś teraz członkiem {tenant}."),
    welcome_note: "Zaloguj się adresem e-mail i hasłem.",
    get_started: "Zaczynamy",
    joined_subject: |member, tenant| format!("{member} dołączył(a) do {tenant}"),
    joined_intro: |member, tenant| format!("{member} jest teraz członkiem {tenant}."),
    joined_note: "Twoja organizacja informuje członków, gdy dołącza nowa osoba.",
    confirm_subject: |tenant| format!("Ktoś poprosił o rejestrację tego adresu w {tenant}"),
    confirm_intro: |tenant| {
        format!(
            "Ktoś z zaproszeniem do {tenant} poprosił o rejestrację tego adresu e-mail. Jeśli to Ty, potwierdź adres i wybierz hasło."
        )
    },
    confirm_action: "Potwierdź i wybierz hasło",
    has_account_subject: |tenant| format!("Ktoś poprosił o rejestrację tego adresu w {tenant}"),
    has_account_intro: |tenant| {
        format!(
            "Ktoś z zaproszeniem do {tenant} poprosił o rejestrację tego adresu e-mail. Ten adres ma już konto, więc nic nie zarejestrowano i nic się nie zmieniło."
        )
    },
    has_account_note: |tenant| {
        format!(
            "Jeśli to Ty i chcesz dołączyć do {tenant}, poproś o zaproszenie na ten adres i zaloguj się, aby je przyjąć."
        )
    },
    reset_subject: "Zresetuj hasło",
    reset_intro: "Ktoś, miejmy nadzieję, że Ty, poprosił o zresetowanie hasła do Twojego konta.",
    reset_action: "Ustaw nowe hasło",
    link_validity_minutes: |minutes| {
        format!("Ten link działa tylko raz i wygasa za {minutes} min.")
    },
    link_validity_hours: |hours| format!("Ten link działa tylko raz i wygasa za {hours} godz."),
    reset_not_requested: "Jeśli to nie Ty, zignoruj tę wiadomość: Twoje hasło pozostanie bez zmian.",
    admin_reset_subject: |tenant| format!("Zresetuj hasło do {tenant}"),
    admin_reset_intro: |tenant| {
        format!("Administrator {tenant} poprosił o zresetowanie Twojego hasła.")
    },
    changed_subject: "Twoje hasło zostało zmienione",
    changed_intro: "Hasło do Twojego konta zostało właśnie zmienione, a wszystkie zalogowane urządzenia zostały wylogowane.",
    changed_not_you: "Jeśli to nie Ty, od razu poproś o nowe hasło linkiem „Nie pamiętam hasła” i powiadom administratora.",
    set_subject: "Hasło zostało ustawione",
    set_intro: "Ustawiłeś hasło do swojego konta. Możesz się nim logować, kiedy tylko chcesz.",
    admin_generated_subject: |tenant| format!("Twoje hasło do {tenant} zostało zresetowane"),
    admin_generated_intro: |tenant| {
        format!(
            "Administrator {tenant} zresetował Twoje hasło i wylogował Cię ze wszystkich urządzeń. Przekaże Ci hasło tymczasowe; własne ustawisz przy następnym logowaniu."
        )
    },
    contact_admin: "Jeśli się tego nie spodziewałeś, skontaktuj się z administratorem.",
    webhook_disabled_subject: |tenant| {
        format!("Punkt końcowy webhooka w {tenant} został wyłączony")
    },
    webhook_disabled_intro: |url, tenant| {
        format!("Usher przestał wysyłać zdarzenia {tenant} na adres {url}.")
    },
    webhook_gone: "Odpowiedział 410 Gone, czyli nie chce ich już otrzymywać.",
    webhook_failing: |days| format!("Każde doręczenie nie powiodło się przez {days} dni."),
    webhook_enable_note: "Zdarzenia są zachowane: gdy punkt końcowy znów działa, administrator może go włączyć i ponownie wysłać to, co go ominęło.",
};
