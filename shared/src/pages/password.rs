//! What every page that takes a new password says about one the policy refused, or a change
//! that lost a race, in every locale: the invitation and reset pages say it the same way.

use crate::domain::{Locale, WeakPassword};

pub(super) struct PasswordSentences {
    pub too_short: fn(usize) -> String,
    pub too_long: fn(usize) -> String,
    pub control_character: &'static str,
    pub guessable: &'static str,
    pub conflict: &'static str,
}

pub(super) fn password_sentences(locale: Locale) -> &'static PasswordSentences {
    match locale {
        Locale::En => &EN,
        Locale::It => &IT,
        Locale::Fr => &FR,
        Locale::Pl => &PL,
    }
}

/// The sentence for a password the policy refused.
pub(super) fn weak_password(locale: Locale, weak: &WeakPassword) -> String {
    let s = password_sentences(locale);
    match weak {
        WeakPassword::TooShort(n) => (s.too_short)(*n),
        WeakPassword::TooLong(n) => (s.too_long)(*n),
        WeakPassword::ControlCharacter => s.control_character.to_owned(),
        WeakPassword::Guessable(_) => s.guessable.to_owned(),
    }
}

const EN: PasswordSentences = PasswordSentences {
    too_short: |n| format!("Use at least {n} characters."),
    too_long: |n| format!("Use at most {n} characters."),
    control_character: "The password cannot contain invisible control characters.",
    guessable: "This password is too easy to guess. Try a few unrelated words.",
    conflict: "Something changed at the same time. Please try again.",
};

const IT: PasswordSentences = PasswordSentences {
    too_short: |n| format!("Usa almeno {n} caratteri."),
    too_long: |n| format!("Usa al massimo {n} caratteri."),
    control_character: "La password non può contenere caratteri di controllo invisibili.",
    guessable: "Questa password è troppo facile da indovinare. Prova con alcune parole senza legame tra loro.",
    conflict: "Qualcosa è cambiato nello stesso momento. Riprova.",
};

const FR: PasswordSentences = PasswordSentences {
    too_short: |n| format!("Utilisez au moins {n} caractères."),
    too_long: |n| format!("Utilisez au plus {n} caractères."),
    control_character: "Le mot de passe ne peut pas contenir de caractères de contrôle invisibles.",
    guessable: "Ce mot de passe est trop facile à deviner. Essayez quelques mots sans rapport entre eux.",
    conflict: "Quelque chose a changé au même moment. Veuillez réessayer.",
};

const PL: PasswordSentences = PasswordSentences {
    too_short: |n| format!("Użyj co najmniej {n} znaków."),
    too_long: |n| format!("Użyj co najwyżej {n} znaków."),
    control_character: "Hasło nie może zawierać niewidocznych znaków sterujących.",
    guessable: "To hasło jest zbyt łatwe do odgadnięcia. Spróbuj kilku niezwiązanych ze sobą słów.",
    conflict: "W tym samym czasie coś się zmieniło. Spróbuj ponownie.",
};
