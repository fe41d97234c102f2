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
};
