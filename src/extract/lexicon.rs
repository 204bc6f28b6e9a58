//! Word lists for obligation detection: deontic markers per language and addressee roles
//! (slugs as in seeds/vocabulary.ttl). Phrases are lower case, space-separated words; the
//! matcher accepts English plurals of each word (provider → providers, authority → authorities).

use super::Deontic::{self, May, Must, MustNot, Should};

/// (phrase, strength, confidence of the marker alone).
pub(crate) type Marker = (&'static str, Option<Deontic>, f32);

/// `None` strength: a fixed expression that is not an obligation ("shall mean"); it consumes
/// the words so the shorter marker inside it does not fire.
pub(crate) const ENGLISH: &[Marker] = &[
    ("shall not", Some(MustNot), 0.95),
    ("must not", Some(MustNot), 0.95),
    ("may not", Some(MustNot), 0.85),
    ("shall be prohibited", Some(MustNot), 0.95),
    ("is prohibited", Some(MustNot), 0.9),
    ("are prohibited", Some(MustNot), 0.9),
    ("is forbidden", Some(MustNot), 0.9),
    ("are forbidden", Some(MustNot), 0.9),
    ("is not permitted", Some(MustNot), 0.85),
    ("are not permitted", Some(MustNot), 0.85),
    ("shall refrain from", Some(MustNot), 0.9),
    ("shall mean", None, 0.0),
    ("shall be construed", None, 0.0),
    ("shall enter into force", None, 0.0),
    ("shall be entitled to", Some(May), 0.7),
    ("is not required to", Some(May), 0.6),
    ("are not required to", Some(May), 0.6),
    ("need not", Some(May), 0.6),
    ("shall", Some(Must), 0.9),
    ("must", Some(Must), 0.9),
    ("is required to", Some(Must), 0.9),
    ("are required to", Some(Must), 0.9),
    ("is obliged to", Some(Must), 0.9),
    ("are obliged to", Some(Must), 0.9),
    ("should not", Some(Should), 0.75),
    ("should", Some(Should), 0.8),
    ("ought to", Some(Should), 0.75),
    ("is encouraged to", Some(Should), 0.7),
    ("are encouraged to", Some(Should), 0.7),
    ("are expected to", Some(Should), 0.65),
    ("is permitted to", Some(May), 0.65),
    ("are permitted to", Some(May), 0.65),
    ("is allowed to", Some(May), 0.6),
    ("are allowed to", Some(May), 0.6),
    ("is entitled to", Some(May), 0.65),
    ("are entitled to", Some(May), 0.65),
    ("as may", None, 0.0),
    ("may", Some(May), 0.6),
];

pub(crate) const INDONESIAN: &[Marker] = &[
    ("tidak boleh", Some(MustNot), 0.95),
    ("tidak diperbolehkan", Some(MustNot), 0.95),
    ("tidak diperkenankan", Some(MustNot), 0.9),
    ("tidak dibenarkan", Some(MustNot), 0.9),
    ("dilarang", Some(MustNot), 0.95),
    ("tidak wajib", Some(May), 0.6),
    ("tidak harus", Some(May), 0.6),
    ("tidak perlu", Some(May), 0.55),
    ("wajib", Some(Must), 0.95),
    ("diwajibkan", Some(Must), 0.95),
    ("berkewajiban", Some(Must), 0.9),
    ("harus", Some(Must), 0.85),
    ("perlu", Some(Should), 0.7),
    ("hendaknya", Some(Should), 0.75),
    ("sebaiknya", Some(Should), 0.7),
    ("seharusnya", Some(Should), 0.7),
    ("dianjurkan", Some(Should), 0.7),
    ("disarankan", Some(Should), 0.65),
    ("diharapkan", Some(Should), 0.6),
    ("berhak", Some(May), 0.65),
    ("diperbolehkan", Some(May), 0.65),
    ("dapat", Some(May), 0.5),
    ("boleh", Some(May), 0.55),
];

pub(crate) const MALAY: &[Marker] = &[
    ("tidak boleh", Some(MustNot), 0.95),
    ("tidak dibenarkan", Some(MustNot), 0.95),
    ("dilarang", Some(MustNot), 0.95),
    ("janganlah", Some(MustNot), 0.85),
    ("tidak wajib", Some(May), 0.6),
    ("tidak perlu", Some(May), 0.55),
    ("hendaklah", Some(Must), 0.95),
    ("mestilah", Some(Must), 0.9),
    ("mesti", Some(Must), 0.9),
    ("wajib", Some(Must), 0.9),
    ("dikehendaki", Some(Must), 0.85),
    ("perlu", Some(Should), 0.7),
    ("harus", Some(Should), 0.7),
    ("patut", Some(Should), 0.7),
    ("sepatutnya", Some(Should), 0.7),
    ("digalakkan", Some(Should), 0.7),
    ("berhak", Some(May), 0.65),
    ("dibenarkan", Some(May), 0.65),
    ("boleh", Some(May), 0.55),
    ("dapat", Some(May), 0.5),
];

/// (role slug, phrases); longer phrases are tried first, so "penyelenggara sistem elektronik"
/// wins over "penyelenggara" and GPAI providers over providers.
pub(crate) const ROLES: &[(&str, &[&str])] = &[
    (
        "gpai-sr-provider",
        &[
            "provider of general-purpose ai model with systemic risk",
            "provider of a general-purpose ai model with systemic risk",
        ],
    ),
    (
        "gpai-provider",
        &[
            "provider of general-purpose ai model",
            "provider of a general-purpose ai model",
            "gpai provider",
        ],
    ),
    (
        "authorised-representative",
        &[
            "authorised representative",
            "authorized representative",
            "wakil sah",
        ],
    ),
    (
        "product-manufacturer",
        &["product manufacturer", "produsen", "pengilang"],
    ),
    (
        "market-surveillance-authority",
        &["market surveillance authority"],
    ),
    ("notified-body", &["notified body"]),
    ("ai-office", &["ai office"]),
    ("member-state", &["member state"]),
    (
        "public-authority",
        &[
            "national competent authority",
            "competent authority",
            "public authority",
            "instansi pemerintah",
            "otoritas publik",
            "pihak berkuasa awam",
            "pihak berkuasa",
        ],
    ),
    ("federal-agency", &["federal agency"]),
    (
        "fintech-operator",
        &[
            "penyelenggara inovasi teknologi sektor keuangan",
            "penyelenggara fintech",
            "penyelenggara itsk",
        ],
    ),
    (
        "electronic-system-operator",
        &["penyelenggara sistem elektronik", "pse", "penyelenggara"],
    ),
    ("business-actor", &["pelaku usaha"]),
    (
        "financial-institution",
        &[
            "financial institution",
            "lembaga jasa keuangan",
            "institusi kewangan",
        ],
    ),
    ("provider", &["provider", "penyedia", "pembekal"]),
    ("deployer", &["deployer"]),
    ("importer", &["importer", "importir", "pengimport"]),
    ("distributor", &["distributor", "pengedar"]),
    ("operator", &["operator"]),
    ("developer", &["developer", "pengembang", "pembangun"]),
    (
        "organisation",
        &["organisation", "organization", "organisasi"],
    ),
    (
        "end-user",
        &["affected person", "pengguna akhir", "pengguna", "konsumen"],
    ),
];

/// Words after which a period does not end a sentence (lower case, without the period).
pub(crate) const ABBREVIATIONS: &[&str] = &[
    "art", "arts", "no", "nos", "e.g", "i.e", "etc", "cf", "mr", "mrs", "ms", "dr", "prof", "para",
    "paras", "p", "pp", "vol", "sec", "ch", "reg", "dir", "inc", "ltd", "co", "jo", "dll", "dsb",
    "dst", "tsb", "yth", "bhd", "sdn", "tbk", "pt", "st", "vs", "al", "fig", "ref", "approx",
    "ibid", "op", "cit", "hlm", "u.s", "u.k", "ps", "nr",
];
