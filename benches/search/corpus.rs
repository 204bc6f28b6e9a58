//! The synthetic corpus. Document `i` is a pure function of `i` and the profile, so both engines
//! index the same documents.
//!
//! Profiles (`SEARCH_BENCH_CORPUS`):
//! - `calibrated` (default): each language draws its words from a Zipf distribution (exponent 1)
//!   over a 20,000-word vocabulary: the named words below, then generated filler words. Each query
//!   term sits at the rank that gives it the document frequency it has in the curated catalogue
//!   ([`DOCUMENT_FREQUENCY`]), and themes are tagged at the catalogue's per-theme shares
//!   ([`THEME_SHARE`]). Query terms then match 0.1-22 % of the documents, as they do there.
//! - `dense`: the first generator. Every word comes from the ~110 named words of its language with
//!   a quadratic skew, so each query term is in 20-50 % of the documents and each theme tags 16 %:
//!   a worst case for posting-list work, kept so earlier numbers stay comparable.

use crosswalk::index::{SearchDocument, Text, VocabularyLabel};

const JURISDICTIONS: [&str; 7] = ["SG", "MY", "ID", "EU", "US", "INTL", "ASEAN"];
const KINDS: [&str; 4] = ["requirement", "provision", "control", "instrument"];
const STATUSES: [&str; 5] = [
    "binding-law",
    "binding-regulation",
    "voluntary-framework",
    "guidance",
    "standard",
];
const ROLES: [&str; 6] = [
    "provider",
    "deployer",
    "developer",
    "importer",
    "distributor",
    "public-authority",
];
/// The dense profile's themes, each tagged on about 16 % of documents.
const DENSE_THEMES: [&str; 12] = [
    "content-provenance",
    "incident-reporting",
    "human-oversight",
    "transparency",
    "risk-management",
    "data-governance",
    "privacy",
    "safety-testing",
    "accountability",
    "fairness",
    "security",
    "documentation",
];
const EN: &[&str] = &[
    "provider",
    "deployer",
    "shall",
    "ensure",
    "system",
    "risk",
    "management",
    "human",
    "oversight",
    "incident",
    "serious",
    "report",
    "authority",
    "market",
    "surveillance",
    "data",
    "governance",
    "quality",
    "training",
    "validation",
    "testing",
    "documentation",
    "technical",
    "record",
    "keeping",
    "logging",
    "transparency",
    "information",
    "users",
    "natural",
    "persons",
    "watermark",
    "synthetic",
    "content",
    "marking",
    "machine",
    "readable",
    "detection",
    "model",
    "general",
    "purpose",
    "evaluation",
    "adversarial",
    "red",
    "teaming",
    "cybersecurity",
    "robustness",
    "accuracy",
    "bias",
    "fairness",
    "discrimination",
    "privacy",
    "personal",
    "protection",
    "impact",
    "assessment",
    "fundamental",
    "rights",
    "conformity",
    "notified",
    "body",
    "registration",
    "database",
    "post",
    "monitoring",
    "corrective",
    "action",
    "withdraw",
    "recall",
    "penalty",
    "fine",
    "obligation",
    "requirement",
    "measure",
    "appropriate",
    "organisational",
    "policy",
    "procedure",
    "accountability",
    "responsible",
    "deployment",
    "lifecycle",
    "supply",
    "chain",
    "third",
    "party",
    "component",
    "dataset",
    "annotation",
    "labelling",
    "explainability",
    "interpretability",
    "decision",
    "making",
    "automated",
    "critical",
    "infrastructure",
    "biometric",
    "identification",
    "emotion",
    "recognition",
    "education",
    "employment",
    "credit",
    "scoring",
    "insurance",
    "healthcare",
    "law",
    "enforcement",
    "migration",
    "justice",
    "democratic",
    "processes",
];
const ID_WORDS: &[&str] = &[
    "penyelenggara",
    "sistem",
    "elektronik",
    "wajib",
    "menjamin",
    "keamanan",
    "data",
    "pribadi",
    "pengguna",
    "menguji",
    "pengujian",
    "risiko",
    "manajemen",
    "krisis",
    "etika",
    "kecerdasan",
    "artifisial",
    "transparansi",
    "akuntabilitas",
    "pelindungan",
    "informasi",
    "keadilan",
    "kesetaraan",
    "pengawasan",
    "manusia",
    "penyalahgunaan",
    "pelaku",
    "usaha",
    "tanggung",
    "jawab",
    "pedoman",
    "penerapan",
    "pemanfaatan",
    "konten",
    "sintetis",
    "penandaan",
    "label",
    "tanda",
    "air",
    "inovasi",
    "keberlanjutan",
    "lingkungan",
    "hak",
    "kekayaan",
    "intelektual",
    "pendidikan",
    "literasi",
    "keuangan",
    "perbankan",
    "layanan",
    "publik",
];
const MS_WORDS: &[&str] = &[
    "pembekal",
    "pengguna",
    "sistem",
    "hendaklah",
    "memastikan",
    "keselamatan",
    "data",
    "peribadi",
    "pengujian",
    "ujian",
    "risiko",
    "pengurusan",
    "tadbir",
    "urus",
    "etika",
    "kecerdasan",
    "buatan",
    "ketelusan",
    "akauntabiliti",
    "perlindungan",
    "maklumat",
    "keadilan",
    "kebolehpercayaan",
    "kawalan",
    "manusia",
    "penyalahgunaan",
    "kandungan",
    "tera",
    "air",
    "pelabelan",
    "janaan",
    "inovasi",
    "kemampanan",
    "alam",
    "sekitar",
    "hak",
    "pendidikan",
    "kewangan",
    "perkhidmatan",
    "awam",
    "penggubal",
    "dasar",
    "pembangun",
];

/// Share of the catalogue's search documents containing each query term, by vocabulary.
/// Measured on the shipped seeds (1,073 documents) with `queries/bench/document-frequency.rq`.
const DOCUMENT_FREQUENCY: &[(&str, Language, f64)] = &[
    ("risk", Language::En, 0.2181),
    ("management", Language::En, 0.1109),
    ("data", Language::En, 0.1090),
    ("model", Language::En, 0.0839),
    ("human", Language::En, 0.0531),
    ("risk management", Language::En, 0.0438),
    ("incident", Language::En, 0.0336),
    ("transparency", Language::En, 0.0261),
    ("oversight", Language::En, 0.0261),
    ("protection", Language::En, 0.0214),
    ("evaluation", Language::En, 0.0196),
    ("human oversight", Language::En, 0.0149),
    ("data protection", Language::En, 0.0084),
    ("model evaluation", Language::En, 0.0037),
    ("watermark", Language::En, 0.0037),
    ("keselamatan", Language::Ms, 0.0056),
    ("pembekal", Language::Ms, 0.0009),
    ("penyedia", Language::Id, 0.0009),
    // The Indonesian/Malay analyzer reduces these to one stem, `uji`, which 2 documents (0.19 %)
    // contain (`crosswalk search pengujian`); the share is split evenly across the forms.
    ("pengujian", Language::Id, 0.0005),
    ("menguji", Language::Id, 0.0005),
    ("pengujian", Language::Ms, 0.0005),
    ("ujian", Language::Ms, 0.0005),
];

/// Share of the catalogue's non-theme search documents (1,047) tagged with each theme, counted by
/// `cw:theme` on the shipped seeds.
const THEME_SHARE: &[(&str, f64)] = &[
    ("governance-structures", 223.0 / 1047.0),
    ("risk-management", 222.0 / 1047.0),
    ("accountability", 194.0 / 1047.0),
    ("transparency", 135.0 / 1047.0),
    ("documentation", 110.0 / 1047.0),
    ("general-purpose-ai", 89.0 / 1047.0),
    ("safety-testing", 84.0 / 1047.0),
    ("fairness", 74.0 / 1047.0),
    ("robustness", 65.0 / 1047.0),
    ("societal-wellbeing", 60.0 / 1047.0),
    ("privacy", 58.0 / 1047.0),
    ("impact-assessment", 55.0 / 1047.0),
    ("stakeholder-engagement", 55.0 / 1047.0),
    ("conformity-assessment", 54.0 / 1047.0),
    ("security", 53.0 / 1047.0),
    ("post-market-monitoring", 50.0 / 1047.0),
    ("supply-chain", 50.0 / 1047.0),
    ("human-oversight", 50.0 / 1047.0),
    ("data-governance", 49.0 / 1047.0),
    ("incident-reporting", 45.0 / 1047.0),
    ("explainability", 31.0 / 1047.0),
    ("ai-literacy", 26.0 / 1047.0),
    ("prohibited-practices", 22.0 / 1047.0),
    ("copyright", 22.0 / 1047.0),
    ("content-provenance", 14.0 / 1047.0),
    ("agentic-ai", 10.0 / 1047.0),
];

const VOCABULARY_SIZE: usize = 20_000;
/// Words drawn per document: title, text, and the English text of Indonesian and Malay documents.
const TITLE_WORDS: usize = 5;
const TEXT_WORDS: usize = 35;
const SECOND_TEXT_WORDS: usize = 25;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Language {
    En,
    Id,
    Ms,
}

impl Language {
    /// Every tenth document's language: 70 % English, 20 % Indonesian, 10 % Malay.
    fn of(i: u64) -> Self {
        match i % 10 {
            0..=6 => Self::En,
            7 | 8 => Self::Id,
            _ => Self::Ms,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Id => "id",
            Self::Ms => "ms",
        }
    }

    fn named_words(self) -> &'static [&'static str] {
        match self {
            Self::En => EN,
            Self::Id => ID_WORDS,
            Self::Ms => MS_WORDS,
        }
    }

    /// (share of documents, words drawn from this vocabulary in each of them).
    fn exposure(self) -> &'static [(f64, usize)] {
        match self {
            Self::En => &[(0.7, TITLE_WORDS + TEXT_WORDS), (0.3, SECOND_TEXT_WORDS)],
            Self::Id => &[(0.2, TITLE_WORDS + TEXT_WORDS)],
            Self::Ms => &[(0.1, TITLE_WORDS + TEXT_WORDS)],
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Profile {
    Calibrated,
    Dense,
}

impl Profile {
    pub fn from_env() -> Self {
        match std::env::var("SEARCH_BENCH_CORPUS").as_deref() {
            Err(_) | Ok("calibrated") => Self::Calibrated,
            Ok("dense") => Self::Dense,
            Ok(other) => panic!("SEARCH_BENCH_CORPUS={other}: expected calibrated or dense"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Calibrated => "calibrated",
            Self::Dense => "dense",
        }
    }
}

/// One language's words and how they are drawn.
enum Vocabulary {
    /// `words[floor(r² · len)]` for uniform `r`: the dense profile.
    Skewed(&'static [&'static str]),
    /// Zipf: entry `k` has weight 1 / (k + 1); `cumulative` is the normalised running sum.
    Zipf {
        words: Vec<String>,
        cumulative: Vec<f64>,
    },
}

impl Vocabulary {
    fn calibrated(language: Language) -> Self {
        let harmonic: f64 = (1..=VOCABULARY_SIZE).map(|k| 1.0 / k as f64).sum();
        let terms: Vec<(&str, f64)> = DOCUMENT_FREQUENCY
            .iter()
            .filter(|(_, l, _)| *l == language)
            .map(|(term, _, share)| (*term, standalone_share(term, *share)))
            .collect();
        let mut placed: Vec<(usize, &str)> = terms
            .iter()
            .map(|(term, share)| {
                let p = per_draw_probability(*share, language.exposure());
                let rank = (1.0 / (p * harmonic)).round() as usize;
                (rank.saturating_sub(1).min(VOCABULARY_SIZE - 1), *term)
            })
            .collect();
        placed.sort();
        let mut words: Vec<String> = language
            .named_words()
            .iter()
            .filter(|w| !terms.iter().any(|(t, _)| t == *w))
            .map(|w| (*w).to_owned())
            .collect();
        let fillers = VOCABULARY_SIZE - words.len() - placed.len();
        words.extend((0..fillers).map(filler_word));
        // Ascending ranks: each insertion leaves the ones before it where they were put.
        for (rank, term) in placed {
            words.insert(rank.min(words.len()), term.to_owned());
        }
        let mut running = 0.0;
        let mut cumulative: Vec<f64> = (1..=words.len())
            .map(|k| {
                running += 1.0 / k as f64;
                running
            })
            .collect();
        cumulative.iter_mut().for_each(|c| *c /= running);
        Self::Zipf { words, cumulative }
    }

    fn draw(&self, rng: &mut fastrand::Rng) -> &str {
        let r = rng.f64();
        match self {
            Self::Skewed(words) => words[((r * r) * words.len() as f64) as usize],
            Self::Zipf { words, cumulative } => {
                &words[cumulative.partition_point(|c| *c <= r).min(words.len() - 1)]
            }
        }
    }

    fn sentence(&self, rng: &mut fastrand::Rng, n: usize) -> String {
        (0..n).map(|_| self.draw(rng)).collect::<Vec<_>>().join(" ")
    }
}

/// A single word's share without the phrases that contain it, which are drawn as their own
/// entries and add the word back.
fn standalone_share(term: &str, share: f64) -> f64 {
    let in_phrases: f64 = DOCUMENT_FREQUENCY
        .iter()
        .filter(|(phrase, _, _)| phrase.contains(' ') && phrase.split(' ').any(|w| w == term))
        .map(|(_, _, s)| s)
        .sum();
    (share - in_phrases).max(share / 10.0)
}

/// The per-draw probability that gives a term `share` of all documents, by bisection.
fn per_draw_probability(share: f64, exposure: &[(f64, usize)]) -> f64 {
    let documents_with = |p: f64| -> f64 {
        exposure
            .iter()
            .map(|(part, draws)| part * (1.0 - (1.0 - p).powi(*draws as i32)))
            .sum()
    };
    let (mut low, mut high) = (0.0, 1.0);
    for _ in 0..60 {
        let mid = (low + high) / 2.0;
        if documents_with(mid) < share {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

/// The `k`th filler: four consonant-vowel syllables, so it matches no named word or stem.
fn filler_word(k: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "nu", "ro", "sa", "tu", "vi", "do", "pu", "ga", "ho", "jo", "fe", "bu",
        "zi",
    ];
    let mut word = String::with_capacity(8);
    let mut rest = k;
    for _ in 0..4 {
        word.push_str(SYLLABLES[rest % SYLLABLES.len()]);
        rest /= SYLLABLES.len();
    }
    word
}

pub struct Corpus {
    profile: Profile,
    en: Vocabulary,
    id: Vocabulary,
    ms: Vocabulary,
}

impl Corpus {
    pub fn new(profile: Profile) -> Self {
        let vocabulary = |language: Language| match profile {
            Profile::Dense => Vocabulary::Skewed(language.named_words()),
            Profile::Calibrated => Vocabulary::calibrated(language),
        };
        Self {
            profile,
            en: vocabulary(Language::En),
            id: vocabulary(Language::Id),
            ms: vocabulary(Language::Ms),
        }
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    fn vocabulary(&self, language: Language) -> &Vocabulary {
        match language {
            Language::En => &self.en,
            Language::Id => &self.id,
            Language::Ms => &self.ms,
        }
    }

    /// Document `i`.
    pub fn document(&self, i: u64) -> SearchDocument {
        let mut rng = fastrand::Rng::with_seed(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
        let language = Language::of(i);
        let vocabulary = self.vocabulary(language);
        let title = vocabulary.sentence(&mut rng, TITLE_WORDS);
        let mut texts = vec![Text {
            language: language.tag().into(),
            value: vocabulary.sentence(&mut rng, TEXT_WORDS),
        }];
        if language != Language::En {
            texts.push(Text {
                language: "en".into(),
                value: self.en.sentence(&mut rng, SECOND_TEXT_WORDS),
            });
        }
        let mut pick = |n: usize| rng.usize(..n);
        let themes: Vec<String> = match self.profile {
            Profile::Dense => (0..1 + pick(3))
                .map(|_| DENSE_THEMES[pick(DENSE_THEMES.len())].to_owned())
                .collect(),
            Profile::Calibrated => THEME_SHARE
                .iter()
                .filter(|(_, share)| rng.f64() < *share)
                .map(|(theme, _)| (*theme).to_owned())
                .collect(),
        };
        let mut pick = |n: usize| rng.usize(..n);
        let roles: Vec<String> = (0..1 + pick(2))
            .map(|_| ROLES[pick(ROLES.len())].to_owned())
            .collect();
        let year = 2019 + pick(9) as i64;
        SearchDocument {
            iri: format!("https://w3id.org/crosswalk/id/provision/synthetic/{i}"),
            kind: KINDS[pick(KINDS.len())].into(),
            reference: Some(format!("Art. {}({})", 1 + pick(120), 1 + pick(9))),
            titles: vec![Text {
                language: language.tag().into(),
                value: title,
            }],
            texts,
            jurisdiction: Some(JURISDICTIONS[pick(JURISDICTIONS.len())].into()),
            instrument: Some(format!(
                "https://w3id.org/crosswalk/id/instrument/synthetic-{}",
                pick(200)
            )),
            instrument_name: None,
            issuer: None,
            status: Some(STATUSES[pick(STATUSES.len())].into()),
            binding: Some(pick(2) == 0),
            deontic: Some(["must", "should", "may"][pick(3)].into()),
            roles,
            themes,
            applies_from: Some(year * 10000 + 101),
            date: Some(year * 10000 + 101),
        }
    }

    /// The names of facet values for query understanding and expansion: each theme's and
    /// role's slug as words, the watermark labels of content provenance in English and
    /// Indonesian, and each jurisdiction's code.
    pub fn facet_names(&self) -> Vec<VocabularyLabel> {
        let themes: Vec<&str> = match self.profile {
            Profile::Dense => DENSE_THEMES.to_vec(),
            Profile::Calibrated => THEME_SHARE.iter().map(|(t, _)| *t).collect(),
        };
        let labelled = |facet: &str, value: &str, label: &str, language: &str| {
            VocabularyLabel::new(facet, value, label, language, true)
        };
        let label = |facet: &str, value: &str, label: &str| labelled(facet, value, label, "en");
        themes
            .into_iter()
            .map(|t| label("theme", t, &t.replace('-', " ")))
            .chain(ROLES.iter().map(|r| label("role", r, &r.replace('-', " "))))
            .chain([
                label("theme", "content-provenance", "watermark"),
                labelled("theme", "content-provenance", "tanda air", "id"),
            ])
            .chain(JURISDICTIONS.iter().map(|j| VocabularyLabel::code(j)))
            .collect()
    }
}
