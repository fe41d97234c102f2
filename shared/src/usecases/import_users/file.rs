//! Reading an import file into rows of cells, or saying exactly what is wrong with it.
//!
//! What spreadsheets save: comma or semicolon separators (Italian, French and Polish locales save
//! with semicolons; the header line decides), UTF-8 with or without a byte-order mark, CRLF, LF or
//! CR line ends, quoted cells holding separators, quotes and line breaks; or a legacy code page,
//! named by the client. Rows are numbered as the spreadsheet numbers them: the header is row 1,
//! and a quoted line break does not start a row. Rows with no content at all (spreadsheets save
//! trailing `;;;;` lines) are skipped.

use std::borrow::Cow;

use serde::Deserialize;
use utoipa::ToSchema;

/// Files above this are refused before they are read.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Rows under the header, at most.
pub const MAX_ROWS: usize = 10_000;

/// How the file's bytes are text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FileEncoding {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// Western European spreadsheets saved as "CSV" on Windows.
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// Central European (Polish) spreadsheets saved as "CSV" on Windows.
    #[serde(rename = "windows-1250")]
    Windows1250,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file has a header but no rows.")]
    NoRows,
    #[error(
        "Row {row} is not valid UTF-8. Save the file as \"CSV UTF-8\", or name its encoding with ?encoding=windows-1252 or windows-1250."
    )]
    NotUtf8 { row: usize },
    #[error("Row {row} holds control characters: this is not a text file.")]
    Binary { row: usize },
    #[error(
        "Row {row} holds a byte-order mark, which belongs only at the very start: were two files joined?"
    )]
    StrayByteOrderMark { row: usize },
    #[error("Row {row} opens a quoted cell that is never closed.")]
    UnclosedQuote { row: usize },
    #[error("Row {row} has {found} cells; the header has {expected}.")]
    CellCount {
        row: usize,
        found: usize,
        expected: usize,
    },
    #[error("The file has more than {MAX_ROWS} rows; split it.")]
    TooManyRows,
}

impl FileError {
    /// The row the problem is in, when it is one row's.
    pub fn row(&self) -> Option<usize> {
        match self {
            Self::NotUtf8 { row }
            | Self::Binary { row }
            | Self::StrayByteOrderMark { row }
            | Self::UnclosedQuote { row }
            | Self::CellCount { row, .. } => Some(*row),
            Self::Empty | Self::NoRows | Self::TooManyRows => None,
        }
    }
}

/// A file read into cells: its header and its rows, each with its spreadsheet row number.
#[derive(Debug)]
pub struct CsvFile {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads `bytes` as a CSV file in `encoding`.
///
/// Kept in one piece: one pass over the file's records, each check where the record is read.
pub fn read(bytes: &[u8], encoding: FileEncoding) -> Result<CsvFile, FileError> {
    let text = decode(bytes, encoding)?;
    let text = text.as_ref();
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let separator = separator_of(text);
    let layout = Layout::scan(text.as_bytes(), separator);
    if let Some((at, c)) = text
        .char_indices()
        .find(|(_, c)| is_binary(*c) || *c == '\u{FEFF}')
    {
        let row = layout.row_at(at);
        return Err(if c == '\u{FEFF}' {
            FileError::StrayByteOrderMark { row }
        } else {
            FileError::Binary { row }
        });
    }
    if let Some(row) = layout.unclosed_quote_row {
        return Err(FileError::UnclosedQuote { row });
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            // The text is valid UTF-8 and the quotes balance, so this is not expected; it is
            // still the file's fault, and said where.
            Err(error) => {
                let row = error
                    .position()
                    .map_or(1, |p| layout.row_at(p.byte() as usize));
                return Err(FileError::UnclosedQuote { row });
            }
        }
        // The reader may place a record at the line end before it.
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let start = start
            + text.as_bytes()[start.min(text.len())..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        let row = layout.row_at(start);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match &header {
            None => header = Some(cells),
            Some(header) => {
                if cells.len() != header.len() {
                    // Spreadsheets pad short rows, but a row whose extra cells are empty is fine.
                    let extra_empty = cells.len() > header.len()
                        && cells[header.len()..].iter().all(String::is_empty);
                    if !extra_empty {
                        return Err(FileError::CellCount {
                            row,
                            found: cells.len(),
                            expected: header.len(),
                        });
                    }
                }
                if rows.len() == MAX_ROWS {
                    return Err(FileError::TooManyRows);
                }
                let mut cells = cells;
                cells.truncate(header.len());
                rows.push((row, cells));
            }
        }
    }
    let header = header.ok_or(FileError::Empty)?;
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    Ok(CsvFile { header, rows })
}

/// The file as text: UTF-8 (a leading byte-order mark dropped), or a legacy code page decoded
/// (a UTF-8 byte-order mark still wins: the file says what it is).
fn decode(bytes: &[u8], encoding: FileEncoding) -> Result<Cow<'_, str>, FileError> {
    let legacy = match encoding {
        FileEncoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            return match std::str::from_utf8(bytes) {
                Ok(text) => Ok(Cow::Borrowed(text)),
                Err(error) => {
                    // The row of the first bad byte, counted in what is valid before it.
                    let valid = &bytes[..error.valid_up_to()];
                    let text = std::str::from_utf8(valid).unwrap_or_default();
                    let layout = Layout::scan(valid, separator_of(text));
                    Err(FileError::NotUtf8 {
                        row: layout.row_at(valid.len()),
                    })
                }
            };
        }
        FileEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
        FileEncoding::Windows1250 => encoding_rs::WINDOWS_1250,
    };
    let (text, _, _) = legacy.decode(bytes);
    Ok(text)
}

/// Semicolon when the header line has more semicolons than commas, else comma.
fn separator_of(text: &str) -> u8 {
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first_line.chars().filter(|x| *x == c).count();
    if count(';') > count(',') { b';' } else { b',' }
}

/// Control characters other than tab and line ends: what a text file does not hold.
fn is_binary(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Where each row starts, read as the CSV reader reads quotes (a quote opens a quoted cell only
/// at a cell's start; `""` inside one is a quote), and whether the file ends inside a quote.
struct Layout {
    row_starts: Vec<usize>,
    unclosed_quote_row: Option<usize>,
}

impl Layout {
    fn scan(text: &[u8], separator: u8) -> Self {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            CellStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let mut state = State::CellStart;
        let mut row_starts = vec![0];
        let mut quote_opened_in = 0;
        let mut i = 0;
        while i < text.len() {
            let b = text[i];
            let line_end = b == b'\n' || b == b'\r';
            match state {
                State::Quoted => {
                    if b == b'"' {
                        state = State::QuoteInQuoted;
                    }
                }
                State::QuoteInQuoted if b == b'"' => state = State::Quoted,
                _ if line_end => {
                    // CR LF is one line end.
                    if b == b'\r' && text.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    row_starts.push(i + 1);
                    state = State::CellStart;
                }
                _ if b == separator => state = State::CellStart,
                State::CellStart if b == b'"' => {
                    state = State::Quoted;
                    quote_opened_in = row_starts.len();
                }
                _ => state = State::Unquoted,
            }
            i += 1;
        }
        Self {
            row_starts,
            unclosed_quote_row: (state == State::Quoted).then_some(quote_opened_in),
        }
    }

    /// The row (1 = the first line) that holds byte `offset`.
    fn row_at(&self, offset: usize) -> usize {
        self.row_starts
            .partition_point(|start| *start <= offset)
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(file: &CsvFile) -> Vec<(usize, Vec<&str>)> {
        file.rows
            .iter()
            .map(|(n, cells)| (*n, cells.iter().map(String::as_str).collect()))
            .collect()
    }

    #[test]
    fn commas_semicolons_bom_and_line_ends() {
        for text in [
            "email,first_name\r\na@x.org,Ada\r\nb@x.org,Bo\r\n",
            "\u{FEFF}email;first_name\na@x.org;Ada\nb@x.org;Bo",
            "email;first_name\ra@x.org;Ada\rb@x.org;Bo\r",
        ] {
            let file = read(text.as_bytes(), FileEncoding::Utf8).unwrap();
            assert_eq!(file.header, ["email", "first_name"], "{text:?}");
            assert_eq!(
                rows(&file),
                [(2, vec!["a@x.org", "Ada"]), (3, vec!["b@x.org", "Bo"])]
            );
        }
    }

    #[test]
    fn a_quoted_line_break_stays_in_its_row_and_rows_keep_spreadsheet_numbers() {
        let text =
            "email;last_name\n\"a@x.org\";\"Rossi\nBianchi\"\n;;\n\"b@x.org\";\"O\"\"Neil; Jr\"\n";
        let file = read(text.as_bytes(), FileEncoding::Utf8).unwrap();
        assert_eq!(
            rows(&file),
            [
                (2, vec!["a@x.org", "Rossi\nBianchi"]),
                (4, vec!["b@x.org", "O\"Neil; Jr"])
            ]
        );
    }

    #[test]
    fn legacy_code_pages_decode_and_bad_utf8_names_its_row() {
        // "Łukasz" in windows-1250, "Zoë" in windows-1252.
        let polish = b"email;first_name\nl@x.org;\xA3ukasz\n";
        let file = read(polish, FileEncoding::Windows1250).unwrap();
        assert_eq!(file.rows[0].1[1], "Łukasz");
        let western = b"email;first_name\nz@x.org;Zo\xEB\n";
        assert_eq!(
            read(western, FileEncoding::Windows1252).unwrap().rows[0].1[1],
            "Zoë"
        );
        assert_eq!(
            read(
                b"email\na@x.org\n\"b\nc\"\nZo\xEB@x.org\n",
                FileEncoding::Utf8
            )
            .unwrap_err(),
            FileError::NotUtf8 { row: 4 }
        );
    }

    #[test]
    fn broken_files_say_what_and_where() {
        let cases: [(&[u8], FileError); 8] = [
            (b"", FileError::Empty),
            (b" \r\n;;\r\n", FileError::Empty),
            (b"email,first_name\r\n", FileError::NoRows),
            (
                b"email\na@x.org\n\"b@x.org\n",
                FileError::UnclosedQuote { row: 3 },
            ),
            (
                b"email,first_name\na@x.org\n",
                FileError::CellCount {
                    row: 2,
                    found: 1,
                    expected: 2,
                },
            ),
            (
                b"email\na@x.org\n\xEF\xBB\xBFb@x.org\n",
                FileError::StrayByteOrderMark { row: 3 },
            ),
            (
                b"email\na@x.org\x00\x01\x02\n",
                FileError::Binary { row: 2 },
            ),
            (b"PK\x03\x04\x14\x00\x06\x00", FileError::Binary { row: 1 }),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                read(bytes, FileEncoding::Utf8).unwrap_err(),
                expected,
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn more_rows_than_the_limit_are_refused() {
        let mut text = String::from("email\n");
        for i in 0..MAX_ROWS {
            text.push_str(&format!("u{i}@x.org\n"));
        }
        assert_eq!(
            read(text.as_bytes(), FileEncoding::Utf8)
                .unwrap()
                .rows
                .len(),
            MAX_ROWS
        );
        text.push_str("one@more.org\n");
        assert_eq!(
            read(text.as_bytes(), FileEncoding::Utf8).unwrap_err(),
            FileError::TooManyRows
        );
    }
}
