//! Every sentence a password-link page can say, in every locale: like the mail catalogue, a
//! struct, so a missing translation is a compile error.

use crate::domain::Locale;

pub(super) struct ResetStrings {
    pub choose_title: &'static str,
    pub reset_title: &'static str,
    pub forgot_title: &'static str,
    pub form_intro: fn(&str) -> String,
    pub new_label: &'static str,
    pub confirm_label: &'static str,
    pub hint: fn(usize) -> String,
    pub save: &'static str,
    pub done_title: &'static str,
    pub done_intro: &'static str,
    pub sign_in: &'static str,
    pub expired_title: &'static str,
    pub expired_intro: &'static str,
    pub superseded_title: &'static str,
    pub superseded_intro: &'static str,
    pub used_title: &'static str,
    pub used_intro: &'static str,
    pub unknown_title: &'static str,
    pub unknown_intro: &'static str,
    pub ask_new_link: &'static str,
    pub email_label: &'static str,
    pub send_link: &'static str,
    pub requested_title: &'static str,
    pub requested_intro: fn(i64) -> String,
    pub requested_spam: &'static str,
    pub invalid_email: &'static str,
    pub reused: &'static str,
    pub mismatch: &'static str,
}

pub(super) fn reset_strings(locale: Locale) -> &'static ResetStrings {
    match locale {
        Locale::En => &EN,
        Locale::It => &IT,
        Locale::Fr => &FR,
        Locale::Pl => &PL,
    }
}

static EN: ResetStrings = ResetStrings {
    choose_title: "Choose your password",
    reset_title: "Choose a new password",
    forgot_title: "Forgot your password?",
    form_intro: |email| format!("This password is for your account {email}."),
    new_label: "New password",
    confirm_label: "Repeat the new password",
    hint: |min| {
        format!(
            "At least {min} characters. A few unrelated words make a strong password that is easy to remember."
        )
    },
    save: "Save password",
    done_title: "Your password is saved",
    done_intro: "You can now sign in with your new password. Every device that was signed in to your account has been signed out.",
    sign_in: "Sign in",
    expired_title: "This link has expired",
    expired_intro: "For your safety, password links work only for a limited time.",
    superseded_title: "This link is no longer valid",
    superseded_intro: "The password of this account was changed after the link was sent.",
    used_title: "This link was already used",
    used_intro: "Each link works only once. If you chose your password with it, sign in with that password.",
    unknown_title: "This link is not valid",
    unknown_intro: "Make sure you opened the whole link from the email: it may have been cut.",
    ask_new_link: "Enter your email address and we will send you a new link.",
    email_label: "Email address",
    send_link: "Send me a new link",
    requested_title: "Check your inbox",
    requested_intro: |minutes| {
        format!(
            "If an account uses this address, a link to choose a new password is on its way. It works for {minutes} minutes."
        )
    },
    requested_spam: "Nothing after a few minutes? Check your spam folder, or ask again.",
    invalid_email: "Enter a valid email address.",
    reused: "Choose a password other than your current one.",
    mismatch: "The two passwords are not the same.",
};

static IT: ResetStrings = ResetStrings {
    choose_title: "Scegli la tua password",
    reset_title: "Scegli una nuova password",
    forgot_title: "Password dimenticata?",
    form_intro: |email| format!("Questa password è per il tuo account {email}."),
    new_label: "Nuova password",
    confirm_label: "Ripeti la nuova password",
    hint: |min| {
        format!(
            "Almeno {min} caratteri. Alcune parole senza legame tra loro formano una password robusta e facile da ricordare."
        )
    },
    save: "Salva la password",
    done_title: "La tua password è salvata",
    done_intro: "Ora puoi accedere con la nuova password. Tutti i dispositivi collegati al tuo account sono stati disconnessi.",
    sign_in: "Accedi",
    expired_title: "Questo link è scaduto",
    expired_intro: "Per la tua sicurezza, i link per la password funzionano solo per un tempo limitato.",
    superseded_title: "Questo link non è più valido",
    superseded_intro: "La password di questo account è stata cambiata dopo l'invio del link.",
    used_title: "Questo link è già stato usato",
    used_intro: "Ogni link funziona una sola volta. Se hai scelto la password con questo link, accedi con quella password.",
    unknown_title: "Questo link non è valido",
    unknown_intro: "Assicurati di aver aperto il link completo dall'email: potrebbe essere stato tagliato.",
    ask_new_link: "Inserisci il tuo indirizzo email e ti invieremo un nuovo link.",
    email_label: "Indirizzo email",
    send_link: "Inviami un nuovo link",
    requested_title: "Controlla la tua casella di posta",
    requested_intro: |minutes| {
        format!(
            "Se un account usa questo indirizzo, gli stiamo inviando un link per scegliere una nuova password. Funziona per {minutes} minuti."
        )
    },
    requested_spam: "Non arriva nulla dopo qualche minuto? Controlla la cartella spam o chiedi di nuovo.",
    invalid_email: "Inserisci un indirizzo email valido.",
    reused: "Scegli una password diversa da quella attuale.",
    mismatch: "Le due password non coincidono.",
};

static FR: ResetStrings = ResetStrings {
    choose_title: "Choisissez votre mot de passe",
    reset_title: "Choisissez un nouveau mot de passe",
    forgot_title: "Mot de passe oublié ?",
    form_intro: |email| format!("Ce mot de passe est celui de votre compte {email}."),
    new_label: "Nouveau mot de passe",
    confirm_label: "Répétez le nouveau mot de passe",
    hint: |min| {
        format!(
            "Au moins {min} caractères. Quelques mots sans rapport entre eux font un mot de passe solide et facile à retenir."
        )
    },
    save: "Enregistrer le mot de passe",
    done_title: "Votre mot de passe est enregistré",
    done_intro: "Vous pouvez maintenant vous connecter avec votre nouveau mot de passe. Tous les appareils connectés à votre compte ont été déconnectés.",
    sign_in: "Se connecter",
    expired_title: "Ce lien a expiré",
    expired_intro: "Pour votre sécurité, les liens de mot de passe ne fonctionnent que pendant une durée limitée.",
    superseded_title: "Ce lien n'est plus valide",
    superseded_intro: "Le mot de passe de ce compte a été modifié après l'envoi du lien.",
    used_title: "Ce lien a déjà été utilisé",
    used_intro: "Chaque lien ne fonctionne qu'une fois. Si vous avez choisi votre mot de passe avec ce lien, connectez-vous avec ce mot de passe.",
    unknown_title: "Ce lien n'est pas valide",
    unknown_intro: "Vérifiez que vous avez ouvert le lien complet de l'e-mail : il a peut-être été coupé.",
    ask_new_link: "Saisissez votre adresse e-mail et nous vous enverrons un nouveau lien.",
    email_label: "Adresse e-mail",
    send_link: "M'envoyer un nouveau lien",
    requested_title: "Consultez votre boîte de réception",
    requested_intro: |minutes| {
        format!(
            "Si un compte utilise cette adresse, un lien pour choisir un nouveau mot de passe est en route. Il fonctionne pendant {minutes} minutes."
        )
    },
    requested_spam: "Rien après quelques minutes ? Vérifiez vos courriers indésirables, ou demandez à nouveau.",
    invalid_email: "Saisissez une adresse e-mail valide.",
    reused: "Choisissez un mot de passe différent de l'actuel.",
    mismatch: "Les deux mots de passe ne sont pas identiques.",
};

static PL: ResetStrings = ResetStrings {
    choose_title: "Ustaw hasło",
    reset_title: "Ustaw nowe hasło",
    forgot_title: "Nie pamiętasz hasła?",
    form_intro: |email| format!("To hasło do Twojego konta {email}."),
    new_label: "Nowe hasło",
    confirm_label: "Powtórz nowe hasło",
    hint: |min| {
        format!(
            "Co najmniej {min} znaków. Kilka niezwiązanych ze sobą słów tworzy silne hasło, które łatwo zapamiętać."
        )
    },
    save: "Zapisz hasło",
    done_title: "Hasło zostało zapisane",
    done_intro: "Możesz teraz zalogować się nowym hasłem. Wszystkie urządzenia zalogowane na Twoje konto zostały wylogowane.",
    sign_in: "Zaloguj się",
    expired_title: "Ten link wygasł",
    expired_intro: "Ze względów bezpieczeństwa linki do ustawienia hasła działają tylko przez ograniczony czas.",
    superseded_title: "Ten link jest już nieważny",
    superseded_intro: "Hasło do tego konta zostało zmienione po wysłaniu linku.",
    used_title: "Ten link został już użyty",
    used_intro: "Każdy link działa tylko raz. Jeśli ustawiłeś hasło tym linkiem, zaloguj się tym hasłem.",
    unknown_title: "Ten link jest nieprawidłowy",
    unknown_intro: "Upewnij się, że otwierasz cały link z wiadomości: mógł zostać ucięty.",
    ask_new_link: "Podaj swój adres e-mail, a wyślemy Ci nowy link.",
    email_label: "Adres e-mail",
    send_link: "Wyślij mi nowy link",
    requested_title: "Sprawdź skrzynkę odbiorczą",
    requested_intro: |minutes| {
        format!(
            "Jeśli jakieś konto używa tego adresu, wysyłamy na niego link do ustawienia nowego hasła. Link działa przez {minutes} min."
        )
    },
    requested_spam: "Nic nie przyszło po kilku minutach? Sprawdź folder spam albo poproś ponownie.",
    invalid_email: "Podaj prawidłowy adres e-mail.",
    reused: "Wybierz hasło inne niż obecne.",
    mismatch: "Podane hasła nie są takie same.",
};
