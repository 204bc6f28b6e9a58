//! Text analysis per language: English (Snowball English, English stop words) and Indonesian
//! (Snowball Indonesian via frostem), the latter also used for Malay, whose affixation
//! (meN-, peN-, ber-, -kan, -an, -i) it shares; each has its own stop words
//! (`lexicon/{id,ms}.toml`).

use super::lexicon::Lexicon;
use std::borrow::Cow;
use std::mem;
use tantivy::Index;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    Token, TokenFilter, TokenStream, Tokenizer,
};

/// Analyzer names as registered on the index; `schema` assigns them to fields.
pub const EN: &str = "cw_en";
pub const ID: &str = "cw_id";
pub const MS: &str = "cw_ms";
/// Lower-cased words without stemming (references such as "Art. 50(2)", "GOVERN 1.1").
pub const PLAIN: &str = "cw_plain";

/// Registers every analyzer on `index` (needed after each open: tokenizers are not persisted).
pub fn register(index: &Index) {
    let manager = index.tokenizers();
    manager.register(
        EN,
        base()
            .filter(
                StopWordFilter::new(Language::English).expect("tantivy ships English stop words"),
            )
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    let lexicon = Lexicon::get();
    manager.register(ID, indonesian(lexicon.stop_words("id")));
    manager.register(MS, indonesian(lexicon.stop_words("ms")));
    manager.register(PLAIN, base().build());
}

/// True when some language's analyzer drops `word` (a stop word, or a word too long to index):
/// such a word is never required (README "How a query is read").
pub fn is_stop_word(index: &Index, word: &str) -> bool {
    [EN, ID, MS].iter().any(|name| {
        index.tokenizers().get(name).is_some_and(|mut analyzer| {
            let mut stream = analyzer.token_stream(word);
            !stream.advance()
        })
    })
}

fn base() -> tantivy::tokenizer::TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
}

fn indonesian(stop_words: Vec<String>) -> TextAnalyzer {
    base()
        .filter(StopWordFilter::remove(stop_words))
        .filter(IndonesianStemmer)
        .build()
}

/// Token filter applying frostem's Snowball Indonesian stemmer (tantivy's `Stemmer` does not
/// offer Indonesian). Tokens must be lower-cased first.
#[derive(Clone, Copy)]
pub struct IndonesianStemmer;

impl TokenFilter for IndonesianStemmer {
    type Tokenizer<T: Tokenizer> = IndonesianStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> IndonesianStemmerFilter<T> {
        IndonesianStemmerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct IndonesianStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for IndonesianStemmerFilter<T> {
    type TokenStream<'a> = IndonesianStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        IndonesianStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::Indonesian),
            buffer: String::new(),
        }
    }
}

pub struct IndonesianStemmerStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
    buffer: String,
}

impl<T: TokenStream> TokenStream for IndonesianStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.stemmer.stem(&token.text) {
            Cow::Owned(stemmed) => token.text = stemmed,
            Cow::Borrowed(stemmed) => {
                self.buffer.clear();
                self.buffer.push_str(stemmed);
                mem::swap(&mut token.text, &mut self.buffer);
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::Schema;

    fn terms(analyzer: &str, text: &str) -> Vec<String> {
        let index = Index::create_in_ram(Schema::builder().build());
        register(&index);
        let mut analyzer = index.tokenizers().get(analyzer).unwrap();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push(token.text.clone());
        }
        out
    }

    #[test]
    fn english_stems_and_drops_stop_words() {
        assert_eq!(
            terms(EN, "The watermarking of outputs"),
            ["watermark", "output"]
        );
    }

    #[test]
    fn indonesian_derivations_share_a_stem() {
        // pengujian (testing) and menguji (to test) both reduce to uji.
        assert_eq!(terms(ID, "pengujian"), terms(ID, "menguji"));
        assert_eq!(terms(ID, "yang menguji"), ["uji"]);
    }

    #[test]
    fn malay_text_is_stemmed_and_stop_words_removed() {
        // Malay: "ujian keselamatan hendaklah dijalankan" (safety tests shall be carried out).
        let stems = terms(MS, "Pengujian keselamatan hendaklah dijalankan");
        assert_eq!(stems[0], terms(MS, "menguji")[0]);
        assert!(!stems.contains(&"hendaklah".to_string()), "{stems:?}");
        assert!(stems.contains(&"jalan".to_string()), "{stems:?}");
    }
}
