//! Every sentence a sign-up page can say, in every locale: a struct, so a missing translation is
//! a compile error.

use crate::domain::Locale;

pub(super) struct SignupStrings {
    pub start_title: &'static str,
    pub start_intro: &'static str,
    pub email_label: &'static str,
    pub start_submit: &'static str,
    pub invalid_email: &'static str,
    pub requested_title: &'static str,
    pub requested_intro: fn(i64) -> String,
    pub requested_spam: &'static str,
    pub off_title: &'static str,
    pub off_intro: &'static str,
    pub form_title: &'static str,
    pub form_intro: &'static str,
    pub first_name_label: &'static str,
    pub last_name_label: &'static str,
    pub organisation_label: &'static str,
    pub password_label: &'static str,
    pub confirm_label: &'static str,
    pub hint: fn(usize) -> String,
    pub create_submit: &'static str,
    pub mismatch: &'static str,
    pub invalid_first_name: &'static str,
    pub invalid_last_name: &'static str,
    pub invalid_organisation: &'static str,
    pub done_title: &'static str,
    pub done_intro: fn(&str) -> String,
    pub sign_in: &'static str,
    pub expired_title: &'static str,
    pub expired_intro: &'static str,
    pub used_title: &'static str,
    pub used_intro: &'static str,
    pub unknown_title: &'static str,
    pub unknown_intro: &'static str,
    pub exists_title: &'static str,
    pub exists_intro: &'static str,
}

pub(super) fn signup_strings(locale: Locale) -> &'static SignupStrings {
    match locale {
        Locale::En => &EN,
        Locale::It => &IT,
        Locale::Fr => &FR,
        Locale::Pl => &PL,
    }
}

static EN: SignupStrings = SignupStrings {
    start_title: "Create your organisation",
    start_intro: "Enter your email address. We will send you a link to confirm it; then you choose your password and name your organisation.",
    email_label: "Email address",
    start_submit: "Send me the link",
    invalid_email: "Enter a valid email address.",
    requested_title: "Check your inbox",
    requested_intro: |hours| {
        format!(
            "We sent a message to this address. Open the link in it within {hours} hours to go on."
        )
    },
    requested_spam: "Nothing after a few minutes? Check your spam folder, or ask again.",
    off_title: "Sign-up is not open",
    off_intro: "Organisations are not created here. Ask the service you use for an invitation.",
    form_title: "Name your organisation",
    form_intro: "Your email address is confirmed. Tell us who you are, name your organisation and choose your password: you will be its owner.",
    first_name_label: "First name",
    last_name_label: "Last name",
    organisation_label: "Organisation name",
    password_label: "Password",
    confirm_label: "Repeat the password",
    hint: |min| {
        format!(
            "At least {min} characters. A few unrelated words make a strong password that is easy to remember."
        )
    },
    create_submit: "Create my organisation",
    mismatch: "The two passwords are not the same.",
    invalid_first_name: "Enter your first name (at most 100 characters).",
    invalid_last_name: "Enter your last name (at most 100 characters).",
    invalid_organisation: "Enter a name for the organisation (at most 120 characters).",
    done_title: "Your organisation is ready",
    done_intro: |name| format!("{name} is created and you are its owner. Sign in to start."),
    sign_in: "Sign in",
    expired_title: "This link has expired",
    expired_intro: "For your safety, sign-up links work only for a limited time. Enter your email address to get a new one.",
    used_title: "This link was already used",
    used_intro: "Each link works only once. If you created your organisation with it, sign in.",
    unknown_title: "This link is not valid",
    unknown_intro: "Make sure you opened the whole link from the email: it may have been cut. Or enter your email address to get a new one.",
    exists_title: "This address has an account",
    exists_intro: "An account uses this email address now, so nothing was created. Sign in, and create the organisation from your account.",
};

static IT: SignupStrings = SignupStrings {
    start_title: "Crea la tua organizzazione",
    start_intro: "Inserisci il tuo indirizzo email. Ti invieremo un link per confermarlo; poi sceglierai la password e il nome della tua organizzazione.",
    email_label: "Indirizzo email",
    start_submit: "Inviami il link",
    invalid_email: "Inserisci un indirizzo email valido.",
    requested_title: "Controlla la tua casella di posta",
    requested_intro: |hours| {
        format!(
            "Abbiamo inviato un messaggio a questo indirizzo. Apri il link che contiene entro {hours} ore per continuare."
        )
    },
    requested_spam: "Non è arrivato nulla dopo qualche minuto? Controlla la cartella spam, oppure chiedi di nuovo.",
    off_title: "La registrazione non è aperta",
    off_intro: "Qui non si creano organizzazioni. Chiedi un invito al servizio che usi.",
    form_title: "Dai un nome alla tua organizzazione",
    form_intro: "Il tuo indirizzo email è confermato. Dicci chi sei, dai un nome alla tua organizzazione e scegli la password: ne sarai il titolare.",
    first_name_label: "Nome",
    last_name_label: "Cognome",
    organisation_label: "Nome dell'organizzazione",
    password_label: "Password",
    confirm_label: "Ripeti la password",
    hint: |min| {
        format!(
            "Almeno {min} caratteri. Alcune parole senza legame tra loro formano una password robusta e facile da ricordare."
        )
    },
    create_submit: "Crea la mia organizzazione",
    mismatch: "Le due password non coincidono.",
    invalid_first_name: "Inserisci il tuo nome (al massimo 100 caratteri).",
    invalid_last_name: "Inserisci il tuo cognome (al massimo 100 caratteri).",
    invalid_organisation: "Inserisci un nome per l'organizzazione (al massimo 120 caratteri).",
    done_title: "La tua organizzazione è pronta",
    done_intro: |name| format!("{name} è stata creata e ne sei il titolare. Accedi per iniziare."),
    sign_in: "Accedi",
    expired_title: "Questo link è scaduto",
    expired_intro: "Per la tua sicurezza, i link di registrazione funzionano solo per un tempo limitato. Inserisci il tuo indirizzo email per riceverne uno nuovo.",
    used_title: "Questo link è già stato usato",
    used_intro: "Ogni link funziona una sola volta. Se hai già creato la tua organizzazione con questo link, accedi.",
    unknown_title: "Questo link non è valido",
    unknown_intro: "Assicurati di aver aperto il link completo dall'email: potrebbe essere stato tagliato. Oppure inserisci il tuo indirizzo email per riceverne uno nuovo.",
    exists_title: "Questo indirizzo ha già un account",
    exists_intro: "Ora un account usa questo indirizzo email, quindi non è stato creato nulla. Accedi e crea l'organizzazione dal tuo account.",
};

static FR: SignupStrings = SignupStrings {
    start_title: "Créez votre organisation",
    start_intro: "Saisissez votre adresse e-mail. Nous vous enverrons un lien pour la confirmer ; vous choisirez ensuite votre mot de passe et le nom de votre organisation.",
    email_label: "Adresse e-mail",
    start_submit: "M'envoyer le lien",
    invalid_email: "Saisissez une adresse e-mail valide.",
    requested_title: "Consultez votre boîte de réception",
    requested_intro: |hours| {
        format!(
            "Nous avons envoyé un message à cette adresse. Ouvrez le lien qu'il contient dans les {hours} heures pour continuer."
        )
    },
    requested_spam: "Rien après quelques minutes ? Vérifiez vos courriers indésirables, ou redemandez.",
    off_title: "L'inscription n'est pas ouverte",
    off_intro: "Les organisations ne se créent pas ici. Demandez une invitation au service que vous utilisez.",
    form_title: "Nommez votre organisation",
    form_intro: "Votre adresse e-mail est confirmée. Dites-nous qui vous êtes, nommez votre organisation et choisissez votre mot de passe : vous en serez le propriétaire.",
    first_name_label: "Prénom",
    last_name_label: "Nom",
    organisation_label: "Nom de l'organisation",
    password_label: "Mot de passe",
    confirm_label: "Répétez le mot de passe",
    hint: |min| {
        format!(
            "Au moins {min} caractères. Quelques mots sans rapport entre eux font un mot de passe solide et facile à retenir."
        )
    },
    create_submit: "Créer mon organisation",
    mismatch: "Les deux mots de passe ne sont pas identiques.",
    invalid_first_name: "Saisissez votre prénom (100 caractères au plus).",
    invalid_last_name: "Saisissez votre nom (100 caractères au plus).",
    invalid_organisation: "Saisissez un nom pour l'organisation (120 caractères au plus).",
    done_title: "Votre organisation est prête",
    done_intro: |name| {
        format!("{name} est créée et vous en êtes le propriétaire. Connectez-vous pour commencer.")
    },
    sign_in: "Se connecter",
    expired_title: "Ce lien a expiré",
    expired_intro: "Pour votre sécurité, les liens d'inscription ne fonctionnent que pendant un temps limité. Saisissez votre adresse e-mail pour en recevoir un nouveau.",
    used_title: "Ce lien a déjà été utilisé",
    used_intro: "Chaque lien ne fonctionne qu'une fois. Si vous avez créé votre organisation avec, connectez-vous.",
    unknown_title: "Ce lien n'est pas valide",
    unknown_intro: "Vérifiez que vous avez ouvert le lien complet de l'e-mail : il a pu être coupé. Ou saisissez votre adresse e-mail pour en recevoir un nouveau.",
    exists_title: "Cette adresse a un compte",
    exists_intro: "Un compte utilise désormais cette adresse e-mail : rien n'a été créé. Connectez-vous et créez l'organisation depuis votre compte.",
};

static PL: SignupStrings = SignupStrings {
    start_title: "Utwórz swoją organizację",
    start_intro: "Podaj swój adres e-mail. Wyślemy link, aby go potwierdzić; potem wybierzesz hasło i nazwę organizacji.",
    email_label: "Adres e-mail",
    start_submit: "Wyślij mi link",
    invalid_email: "Podaj prawidłowy adres e-mail.",
    requested_title: "Sprawdź skrzynkę odbiorczą",
    requested_intro: |hours| {
        format!(
            "Wysłaliśmy wiadomość na ten adres. Otwórz zawarty w niej link w ciągu {hours} godzin, aby kontynuować."
        )
    },
    requested_spam: "Nic nie przyszło po kilku minutach? Sprawdź folder spam albo poproś ponownie.",
    off_title: "Rejestracja nie jest otwarta",
    off_intro: "Tutaj nie tworzy się organizacji. Poproś o zaproszenie usługę, z której korzystasz.",
    form_title: "Nazwij swoją organizację",
    form_intro: "Twój adres e-mail jest potwierdzony. Powiedz nam, kim jesteś, nazwij organizację i wybierz hasło: będziesz jej właścicielem.",
    first_name_label: "Imię",
    last_name_label: "Nazwisko",
    organisation_label: "Nazwa organizacji",
    password_label: "Hasło",
    confirm_label: "Powtórz hasło",
    hint: |min| {
        format!(
            "Co najmniej {min} znaków. Kilka niezwiązanych ze sobą słów to mocne hasło, które łatwo zapamiętać."
        )
    },
    create_submit: "Utwórz moją organizację",
    mismatch: "Oba hasła nie są takie same.",
    invalid_first_name: "Podaj swoje imię (najwyżej 100 znaków).",
    invalid_last_name: "Podaj swoje nazwisko (najwyżej 100 znaków).",
    invalid_organisation: "Podaj nazwę organizacji (najwyżej 120 znaków).",
    done_title: "Twoja organizacja jest gotowa",
    done_intro: |name| {
        format!("{name} została utworzona, a Ty jesteś jej właścicielem. Zaloguj się, aby zacząć.")
    },
    sign_in: "Zaloguj się",
    expired_title: "Ten link wygasł",
    expired_intro: "Dla Twojego bezpieczeństwa linki rejestracyjne działają tylko przez ograniczony czas. Podaj swój adres e-mail, aby otrzymać nowy.",
    used_title: "Ten link został już użyty",
    used_intro: "Każdy link działa tylko raz. Jeśli utworzyłeś nim swoją organizację, zaloguj się.",
    unknown_title: "Ten link jest nieprawidłowy",
    unknown_intro: "Upewnij się, że otwarto cały link z wiadomości: mógł zostać ucięty. Albo podaj swój adres e-mail, aby otrzymać nowy.",
    exists_title: "Ten adres ma już konto",
    exists_intro: "Ten adres e-mail ma teraz konto, więc nic nie zostało utworzone. Zaloguj się i utwórz organizację ze swojego konta.",
};
