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
    pub added_subject: fn(&str) -> String,
    pub added_intro: fn(&str) -> String,
    pub added_note: &'static str,
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
    added_subject: |tenant| format!("You now have access to {tenant}"),
    added_intro: |tenant| format!("An administrator of {tenant} added you to their organisation."),
    added_note: "Sign in with the email address and password you already use. Nothing about your account has changed.",
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
    added_subject: |tenant| format!("Ora hai accesso a {tenant}"),
    added_intro: |tenant| {
        format!("Un amministratore di {tenant} ti ha aggiunto alla sua organizzazione.")
    },
    added_note: "Accedi con l'indirizzo email e la password che usi già. Il tuo account non è cambiato.",
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
    added_subject: |tenant| format!("Vous avez maintenant accès à {tenant}"),
    added_intro: |tenant| {
        format!("Un administrateur de {tenant} vous a ajouté à son organisation.")
    },
    added_note: "Connectez-vous avec l'adresse e-mail et le mot de passe que vous utilisez déjà. Votre compte n'a pas changé.",
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
    added_subject: |tenant| format!("Masz teraz dostęp do {tenant}"),
    added_intro: |tenant| format!("Administrator {tenant} dodał Cię do swojej organizacji."),
    added_note: "Zaloguj się adresem e-mail i hasłem, których już używasz. Twoje konto się nie zmieniło.",
};
