//! Lorem ipsum text for `{% lorem %}`: Django's `django.utils.lorem_ipsum`, with the same
//! word lists and the same shape of output (random sentences of 1 to 5 comma-separated
//! sections of 3 to 12 distinct words, paragraphs of 1 to 4 sentences).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// The standard "Lorem ipsum" paragraph (the first paragraph unless `random`).
pub(crate) const COMMON_P: &str = "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.";

/// Django's `COMMON_WORDS`: the first 19 words of `{% lorem N w %}`.
pub(crate) const COMMON_WORDS: [&str; 19] = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipisicing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
];

/// Django's `WORDS`: the pool random words are drawn from.
pub(crate) const WORDS: [&str; 182] = [
    "exercitationem",
    "perferendis",
    "perspiciatis",
    "laborum",
    "eveniet",
    "sunt",
    "iure",
    "nam",
    "nobis",
    "eum",
    "cum",
    "officiis",
    "excepturi",
    "odio",
    "consectetur",
    "quasi",
    "aut",
    "quisquam",
    "vel",
    "eligendi",
    "itaque",
    "non",
    "odit",
    "tempore",
    "quaerat",
    "dignissimos",
    "facilis",
    "neque",
    "nihil",
    "expedita",
    "vitae",
    "vero",
    "ipsum",
    "nisi",
    "animi",
    "cumque",
    "pariatur",
    "velit",
    "modi",
    "natus",
    "iusto",
    "eaque",
    "sequi",
    "illo",
    "sed",
    "ex",
    "et",
    "voluptatibus",
    "tempora",
    "veritatis",
    "ratione",
    "assumenda",
    "incidunt",
    "nostrum",
    "placeat",
    "aliquid",
    "fuga",
    "provident",
    "praesentium",
    "rem",
    "necessitatibus",
    "suscipit",
    "adipisci",
    "quidem",
    "possimus",
    "voluptas",
    "debitis",
    "sint",
    "accusantium",
    "unde",
    "sapiente",
    "voluptate",
    "qui",
    "aspernatur",
    "laudantium",
    "soluta",
    "amet",
    "quo",
    "aliquam",
    "saepe",
    "culpa",
    "libero",
    "ipsa",
    "dicta",
    "reiciendis",
    "nesciunt",
    "doloribus",
    "autem",
    "impedit",
    "minima",
    "maiores",
    "repudiandae",
    "ipsam",
    "obcaecati",
    "ullam",
    "enim",
    "totam",
    "delectus",
    "ducimus",
    "quis",
    "voluptates",
    "dolores",
    "molestiae",
    "harum",
    "dolorem",
    "quia",
    "voluptatem",
    "molestias",
    "magni",
    "distinctio",
    "omnis",
    "illum",
    "dolorum",
    "voluptatum",
    "ea",
    "quas",
    "quam",
    "corporis",
    "quae",
    "blanditiis",
    "atque",
    "deserunt",
    "laboriosam",
    "earum",
    "consequuntur",
    "hic",
    "cupiditate",
    "quibusdam",
    "accusamus",
    "ut",
    "rerum",
    "error",
    "minus",
    "eius",
    "ab",
    "ad",
    "nemo",
    "fugit",
    "officia",
    "at",
    "in",
    "id",
    "quos",
    "reprehenderit",
    "numquam",
    "iste",
    "fugiat",
    "sit",
    "inventore",
    "beatae",
    "repellendus",
    "magnam",
    "recusandae",
    "quod",
    "explicabo",
    "doloremque",
    "aperiam",
    "consequatur",
    "asperiores",
    "commodi",
    "optio",
    "dolor",
    "labore",
    "temporibus",
    "repellat",
    "veniam",
    "architecto",
    "est",
    "esse",
    "mollitia",
    "nulla",
    "a",
    "similique",
    "eos",
    "alias",
    "dolore",
    "tenetur",
    "deleniti",
    "porro",
    "facere",
    "maxime",
    "corrupti",
];

/// A small generator seeded from the standard library's per-process hash randomness:
/// `{% lorem %}` needs variety like Python's `random`, not secrecy, and no extra crate.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new() -> Rng {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x9e37_79b9_7f4a_7c15);
        Rng(h.finish() | 1)
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Python's `random.randint(lo, hi)` (both inclusive).
    fn randint(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// Python's `random.sample(WORDS, k)`: `k` distinct words (`k <= WORDS.len()`).
    fn sample(&mut self, k: usize) -> Vec<&'static str> {
        let mut pool: Vec<&'static str> = WORDS.to_vec();
        let k = k.min(pool.len());
        for i in 0..k {
            let j = i + (self.next() % (pool.len() - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(k);
        pool
    }
}

/// `sentence()`: capitalised, comma-separated sections, ending in `?` or `.`.
pub(crate) fn sentence(rng: &mut Rng) -> String {
    let sections = rng.randint(1, 5);
    let parts: Vec<String> = (0..sections)
        .map(|_| {
            let n = rng.randint(3, 12);
            rng.sample(n).join(" ")
        })
        .collect();
    let s = parts.join(", ");
    let mut chars = s.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    out.push(if rng.randint(0, 1) == 0 { '?' } else { '.' });
    out
}

/// `paragraph()`: 1 to 4 sentences.
pub(crate) fn paragraph(rng: &mut Rng) -> String {
    let n = rng.randint(1, 4);
    (0..n).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
}

/// `paragraphs(count, common)`: the first is `COMMON_P` when `common`.
pub(crate) fn paragraphs(count: i64, common: bool, rng: &mut Rng) -> Vec<String> {
    (0..count.max(0))
        .map(|i| {
            if common && i == 0 {
                COMMON_P.to_owned()
            } else {
                paragraph(rng)
            }
        })
        .collect()
}

/// `words(count, common)`: the 19 common words first when `common`, then random words
/// drawn `WORDS.len()` at a time without repeats inside a draw. A count not above the
/// common words slices them like Python's `word_list[:count]` (negative from the end).
pub(crate) fn words(count: i64, common: bool, rng: &mut Rng) -> String {
    let mut list: Vec<&str> = if common { COMMON_WORDS.to_vec() } else { Vec::new() };
    let c = list.len() as i64;
    if count > c {
        let mut count = count - c;
        while count > 0 {
            let c = count.min(WORDS.len() as i64);
            count -= c;
            list.extend(rng.sample(c as usize));
        }
    } else {
        let end = if count < 0 { (c + count).max(0) } else { count };
        list.truncate(end as usize);
    }
    list.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn django_lists_and_shapes() {
        assert_eq!((WORDS.len(), COMMON_WORDS.len()), (182, 19));
        let mut rng = Rng::new();
        assert_eq!(words(3, true, &mut rng), "lorem ipsum dolor");
        assert_eq!(words(-17, true, &mut rng), "lorem ipsum");
        assert_eq!(words(0, true, &mut rng), "");
        let w = words(200, false, &mut rng);
        assert_eq!(w.split(' ').count(), 200);
        assert!(w.split(' ').all(|x| WORDS.contains(&x)));
        for _ in 0..50 {
            let s = sentence(&mut rng);
            assert!(s.ends_with('?') || s.ends_with('.'));
            assert!(s.chars().next().is_some_and(char::is_uppercase));
            let sections = s.split(", ").count();
            assert!((1..=5).contains(&sections), "{s}");
        }
        assert_eq!(paragraphs(2, true, &mut rng)[0], COMMON_P);
        assert!(paragraphs(-1, true, &mut rng).is_empty());
    }
}
