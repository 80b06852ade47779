//! The data a transaction exposes to rules, and how targets read it.

use std::borrow::Cow;

use super::{Item, KeySel, Target, Var};
use crate::body::{Pair, UploadedFile};

/// A keyed collection with case-insensitive keys (TX, IP, ...). Keys are
/// stored lower-cased, as ModSecurity reports them, and iterate in the
/// order they were first set (as ModSecurity v2's tables do).
#[derive(Debug)]
pub struct Collection {
    // A hash map: CRS reads and writes TX by name hundreds of times per
    // request; a sorted map paid a string comparison per tree level. Keys
    // can come from the request (`setvar:tx.%{matched_var_name}=1`), so the
    // hash is seeded per process (foldhash), not a fixed one an attacker
    // could collide.
    map: indexmap::IndexMap<Vec<u8>, Vec<u8>, foldhash::fast::RandomState>,
    /// Emptied key and value buffers of cleared entries, for new ones: a
    /// pooled TX collection (see `transaction::spare`) then sets CRS's
    /// dozens of keys per request without two allocations each.
    spare: Vec<Vec<u8>>,
    /// After [`Collection::copy_from`]: the source (its address and entry
    /// count) and the positions of the entries whose value changed since,
    /// so that copying the same source again restores only those. `None`
    /// when not known (an entry was removed, so positions moved).
    copied: Option<(usize, usize, Vec<u32>)>,
    /// Changes with every write (see [`Collection::generation`]).
    generation: u64,
    /// Per entry: the generation of its last write (or an older number,
    /// after a `shape` change). With `shape` and `grown`, what a
    /// [`KeyMark`] checks.
    stamps: Vec<u64>,
    /// The generation of the last change that moved or dropped entries.
    shape: u64,
    /// The generation of the last change that added or moved keys.
    grown: u64,
}

/// Where the next collection's generations start: each collection counts
/// from its own base, 2^32 apart, so no two share a generation.
static NEXT_BASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn new_base() -> u64 {
    NEXT_BASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) << 32
}

impl Default for Collection {
    fn default() -> Collection {
        let generation = new_base();
        Collection {
            map: Default::default(),
            spare: Vec::new(),
            copied: None,
            generation,
            stamps: Vec::new(),
            shape: generation,
            grown: generation,
        }
    }
}

impl Clone for Collection {
    /// A copy with a generation of its own: the two change apart.
    fn clone(&self) -> Collection {
        let generation = new_base();
        Collection {
            map: self.map.clone(),
            spare: Vec::new(),
            copied: self.copied.clone(),
            generation,
            stamps: self.stamps.clone(),
            shape: generation,
            grown: generation,
        }
    }
}

/// Most emptied buffers a collection keeps.
const MAX_SPARE_BUFFERS: usize = 512;

impl Collection {
    /// Value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        if key.iter().any(|b| b.is_ascii_uppercase()) {
            self.map
                .get(&key.to_ascii_lowercase())
                .map(|v| v.as_slice())
        } else {
            self.map.get(key).map(|v| v.as_slice())
        }
    }

    /// Sets `key` to `value`.
    pub fn set(&mut self, key: &[u8], value: Vec<u8>) {
        self.generation += 1;
        let key = lower(key);
        // Updating an entry (anomaly scores) needs no new key.
        match self.map.get_full_mut(&*key) {
            Some((i, _, v)) => {
                *v = value;
                self.changed(i);
            }
            None => {
                let k = self.new_key(&key);
                self.map.insert(k, value);
                self.added();
            }
        }
    }

    /// Sets `key` to a copy of `value`; an existing entry's buffer is
    /// reused (CRS rewrites the same TX keys many times per request).
    pub fn set_bytes(&mut self, key: &[u8], value: &[u8]) {
        self.update(key, |v| {
            v.clear();
            v.extend_from_slice(value);
        });
    }

    /// Rewrites the value of `key` in place (`f` gets it, or an empty value
    /// for a new key): counters such as anomaly scores change without
    /// allocating.
    pub fn update(&mut self, key: &[u8], f: impl FnOnce(&mut Vec<u8>)) {
        self.update_at(&lower(key), f);
    }

    /// [`Collection::update`] of a key already lower-cased, trying `hint`'s
    /// position first and remembering where the key is: CRS's `setvar`s
    /// name their keys as constants, mostly of entries its set-up made.
    pub fn update_hinted(&mut self, key: &[u8], hint: &KeyHint, f: impl FnOnce(&mut Vec<u8>)) {
        use std::sync::atomic::Ordering::Relaxed;
        // Relaxed: the hint is only a guess, checked against the key.
        let at = hint.0.load(Relaxed) as usize;
        if let Some((k, v)) = self.map.get_index_mut(at) {
            if k.as_slice() == key {
                self.generation += 1;
                f(v);
                self.changed(at);
                return;
            }
        }
        let i = self.update_at(key, f);
        hint.0.store(u32::try_from(i).unwrap_or(u32::MAX), Relaxed);
    }

    /// [`Collection::update`] of a lower-cased key; the entry's position.
    fn update_at(&mut self, key: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> usize {
        self.generation += 1;
        match self.map.get_full_mut(key) {
            Some((i, _, v)) => {
                f(v);
                self.changed(i);
                i
            }
            None => {
                let mut v = self.spare.pop().unwrap_or_default();
                f(&mut v);
                let k = self.new_key(key);
                let i = self.map.insert_full(k, v).0;
                self.added();
                i
            }
        }
    }

    /// Notes that entry `i` changed (after the generation moved on), for
    /// [`Collection::copy_from`] and [`KeyMark`]s.
    #[inline]
    fn changed(&mut self, i: usize) {
        if let Some(s) = self.stamps.get_mut(i) {
            *s = self.generation;
        }
        if let Some((_, n, changed)) = &mut self.copied {
            if i < *n {
                // Rewritten more often than there are entries: a whole
                // copy is as cheap.
                if changed.len() >= *n {
                    self.copied = None;
                } else {
                    changed.push(i as u32);
                }
            }
        }
    }

    /// Notes that an entry was added last (after the generation moved on).
    #[inline]
    fn added(&mut self) {
        self.stamps.push(self.generation);
        self.grown = self.generation;
    }

    /// Notes that entries moved, went or were rewritten in bulk (after the
    /// generation moved on): every [`KeyMark`] made before is stale.
    fn reshaped(&mut self) {
        self.shape = self.generation;
        self.grown = self.generation;
        self.stamps.resize(self.map.len(), 0);
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &[u8]) {
        self.generation += 1;
        // Keeps the others' order.
        if self.map.shift_remove(&key.to_ascii_lowercase()).is_some() {
            self.copied = None;
            self.reshaped();
        }
    }

    /// Removes keys matching `sel`.
    pub fn remove_matching(&mut self, sel: &KeySel) {
        self.generation += 1;
        let before = self.map.len();
        self.map.retain(|k, _| !sel.matches(k));
        if self.map.len() != before {
            self.copied = None;
            self.reshaped();
        }
    }

    /// Iterates entries in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.map.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// Makes this collection equal to `other` (order and hasher included),
    /// keeping its buffers: entries past `other`'s count go to the spares,
    /// the others are overwritten in place, so a collection that had as many
    /// entries takes the copy without allocating.
    ///
    /// Copying the source of the last copy again only restores what changed
    /// since: the entries added are retired and the values rewritten are
    /// copied back (a pooled TX collection, primed from the rule set's
    /// prelude, keeps its ~50 entries and sees a few dozen writes per
    /// request). The source is known by address and size only, so it must
    /// not change between copies (the prelude's TX never does; a source
    /// that does should be copied into a fresh collection).
    pub fn copy_from(&mut self, other: &Collection) {
        self.generation += 1;
        let n = other.map.len();
        let source = std::ptr::from_ref(other) as usize;
        match self.copied.take() {
            Some((s, m, mut changed)) if s == source && m == n && self.map.len() >= n => {
                self.retire_from(n);
                for &i in &changed {
                    let i = i as usize;
                    if let (Some((_, v)), Some((_, o))) =
                        (self.map.get_index_mut(i), other.map.get_index(i))
                    {
                        v.clone_from(o);
                    }
                }
                changed.clear();
                self.copied = Some((source, n, changed));
            }
            previous => {
                self.retire_from(n);
                self.map.clone_from(&other.map);
                let mut changed = previous.map(|(_, _, c)| c).unwrap_or_default();
                changed.clear();
                self.copied = Some((source, n, changed));
            }
        }
        self.reshaped();
    }

    /// Removes every entry, keeping the memory.
    pub fn clear(&mut self) {
        self.retire_from(0);
        self.copied = None;
    }

    /// Removes the entries from the `n`th on, keeping their emptied key and
    /// value buffers as spares (up to [`MAX_SPARE_BUFFERS`]).
    fn retire_from(&mut self, n: usize) {
        if self.map.len() <= n {
            return;
        }
        self.generation += 1;
        for (mut k, mut v) in self.map.drain(n..) {
            if self.spare.len() + 2 > MAX_SPARE_BUFFERS {
                break;
            }
            k.clear();
            v.clear();
            self.spare.push(k);
            self.spare.push(v);
        }
        self.reshaped();
    }

    /// A buffer holding `key`, a spare one when there is one.
    fn new_key(&mut self, key: &[u8]) -> Vec<u8> {
        let mut k = self.spare.pop().unwrap_or_default();
        k.extend_from_slice(key);
        k
    }

    /// The memory the collection holds room for, in entries.
    pub fn capacity(&self) -> usize {
        self.map.capacity()
    }

    /// The entry of `key` as stored (already lower-cased, as `TX:key`
    /// targets hold it).
    pub fn get_exact(&self, key: &[u8]) -> Option<&[u8]> {
        self.map.get(key).map(Vec::as_slice)
    }

    /// A number that changes whenever the collection does, and that no
    /// other collection has had: a value worked out from the collection
    /// holds while its generation is the same.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Where a collection last held a key, learnt by the reads through it
/// ([`Collection::get_hinted`]). A TX map made from the prelude's holds its
/// keys at the prelude's positions, so a read that checks the key there
/// skips the hash and the probe; any other position is only a miss.
#[derive(Debug)]
pub struct KeyHint(std::sync::atomic::AtomicU32);

impl Default for KeyHint {
    fn default() -> KeyHint {
        KeyHint::new()
    }
}

impl KeyHint {
    /// A hint to no position (usable in a `static`).
    pub const fn new() -> KeyHint {
        KeyHint(std::sync::atomic::AtomicU32::new(u32::MAX))
    }
}

impl Collection {
    /// [`Collection::get_exact`], trying `hint`'s position first and
    /// remembering where the key was found.
    pub fn get_hinted(&self, key: &[u8], hint: &KeyHint) -> Option<&[u8]> {
        self.find_hinted(key, hint).map(|(_, v)| v)
    }

    /// [`Collection::get_hinted`] with the entry's position.
    #[inline]
    pub fn find_hinted(&self, key: &[u8], hint: &KeyHint) -> Option<(usize, &[u8])> {
        use std::sync::atomic::Ordering::Relaxed;
        // Relaxed: the hint is only a guess, checked against the key.
        let at = hint.0.load(Relaxed) as usize;
        if let Some((k, v)) = self.map.get_index(at) {
            if k.as_slice() == key {
                return Some((at, v));
            }
        }
        let (i, _, v) = self.map.get_full(key)?;
        hint.0.store(i as u32, Relaxed);
        Some((i, v))
    }

    /// A mark of what the collection holds for one key: the entry at
    /// position `at` (found there just now), or no entry (`None`).
    pub fn mark(&self, at: Option<usize>) -> KeyMark {
        debug_assert_eq!(self.stamps.len(), self.map.len());
        let Some(i) = at else {
            return KeyMark {
                epoch: self.grown,
                at: u32::MAX,
                stamp: 0,
            };
        };
        // Every entry has a stamp; should one lack it, the mark is stale.
        match (u32::try_from(i), self.stamps.get(i)) {
            (Ok(at), Some(&stamp)) if at != u32::MAX => KeyMark {
                epoch: self.shape,
                at,
                stamp,
            },
            _ => KeyMark::STALE,
        }
    }

    /// Whether the collection holds for `m`'s key what it held when `m`
    /// was made: that entry, unwritten since, and in the same place (or
    /// still no entry). Writes to other keys leave it true.
    #[inline]
    pub fn unchanged(&self, m: &KeyMark) -> bool {
        if m.at == u32::MAX {
            m.epoch == self.grown
        } else {
            m.epoch == self.shape && self.stamps.get(m.at as usize) == Some(&m.stamp)
        }
    }
}

/// What [`Collection::mark`] noted of a key, for
/// [`Collection::unchanged`]: generations are unique to a collection, so a
/// mark made on another never reads as unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyMark {
    /// `shape` for an entry, `grown` for no entry.
    epoch: u64,
    /// The entry's position, or `u32::MAX` for none.
    at: u32,
    /// The entry's stamp.
    stamp: u64,
}

impl KeyMark {
    /// A mark no collection holds as unchanged.
    pub const STALE: KeyMark = KeyMark {
        epoch: 0,
        at: u32::MAX,
        stamp: 0,
    };
}

/// `key` lower-cased, borrowed when it already is.
fn lower(key: &[u8]) -> Cow<'_, [u8]> {
    if key.iter().any(u8::is_ascii_uppercase) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

/// Where the rule being evaluated lives, so RULE costs nothing until read.
#[derive(Debug, Clone, Copy)]
pub struct CurrentRule {
    /// Phase 1-5.
    pub phase: u8,
    /// Index in the phase list.
    pub index: usize,
}

impl CurrentRule {
    fn fields(&self, rules: &crate::rules::RuleSet) -> Vec<(&'static [u8], Vec<u8>)> {
        let Some(crate::rules::Entry::Rule(r)) = rules
            .phases
            .get(usize::from(self.phase).wrapping_sub(1))
            .and_then(|p| p.get(self.index))
        else {
            return Vec::new();
        };
        let mut v: Vec<(&'static [u8], Vec<u8>)> = vec![
            (b"id", r.id.to_string().into_bytes()),
            (b"phase", self.phase.to_string().into_bytes()),
            (b"rev", r.meta.rev.clone().into_bytes()),
            (b"ver", r.meta.ver.clone().into_bytes()),
        ];
        if let Some(s) = r.meta.severity {
            v.push((b"severity", s.to_string().into_bytes()));
        }
        if let Some(m) = &r.meta.msg {
            v.push((b"msg", m.raw().as_bytes().to_vec()));
        }
        if let Some(m) = &r.meta.logdata {
            v.push((b"logdata", m.raw().as_bytes().to_vec()));
        }
        v
    }
}

/// Request and response data: set through the transaction's API between
/// phases, never by rules. Shared (`Arc`) so that a phase can keep the values
/// it collected while actions change the rule state.
#[derive(Debug, Default, Clone)]
pub struct TxData {
    /// ARGS_GET, in query order.
    pub args_get: Vec<Pair>,
    /// ARGS_POST, in body order.
    pub args_post: Vec<Pair>,
    /// REQUEST_HEADERS, names as sent.
    pub request_headers: Vec<Pair>,
    /// REQUEST_COOKIES.
    pub request_cookies: Vec<Pair>,
    /// RESPONSE_HEADERS.
    pub response_headers: Vec<Pair>,
    /// REQUEST_URI (path and query, no fragment).
    pub request_uri: Vec<u8>,
    /// REQUEST_URI_RAW, as sent.
    pub request_uri_raw: Vec<u8>,
    /// REQUEST_FILENAME (decoded path).
    pub request_filename: Vec<u8>,
    /// REQUEST_BASENAME.
    pub request_basename: Vec<u8>,
    /// REQUEST_LINE.
    pub request_line: Vec<u8>,
    /// REQUEST_METHOD.
    pub request_method: Vec<u8>,
    /// REQUEST_PROTOCOL.
    pub request_protocol: Vec<u8>,
    /// QUERY_STRING.
    pub query_string: Vec<u8>,
    /// The buffered request body.
    pub request_body: Vec<u8>,
    /// REQUEST_BODY reads empty (the body went to a JSON/XML/multipart processor).
    pub request_body_hidden: bool,
    /// RESPONSE_BODY.
    pub response_body: Vec<u8>,
    /// Uploaded files (FILES*).
    pub files: Vec<UploadedFile>,
    /// MULTIPART_PART_HEADERS.
    pub part_headers: Vec<Pair>,
    /// MULTIPART_NAME.
    pub multipart_names: Vec<Vec<u8>>,
    /// MULTIPART_FILENAME.
    pub multipart_filenames: Vec<Vec<u8>>,
    /// A multipart body was parsed (its flags read 0 when unset).
    pub multipart_processed: bool,
    /// Flag variables set by body processors.
    pub flags: Vec<(&'static str, u64)>,
    /// XML:/* text nodes.
    pub xml_text: Vec<Vec<u8>>,
    /// XML://@* attribute values.
    pub xml_attrs: Vec<Vec<u8>>,
    /// REQBODY_ERROR_MSG when parsing failed.
    pub reqbody_error: Option<String>,
    /// RESPONSE_STATUS.
    pub response_status: Option<u16>,
    /// RESPONSE_PROTOCOL.
    pub response_protocol: Vec<u8>,
    /// UNIQUE_ID.
    pub unique_id: String,
    /// REMOTE_ADDR.
    pub remote_addr: String,
    /// REMOTE_PORT.
    pub remote_port: u16,
    /// SERVER_ADDR.
    pub server_addr: String,
    /// SERVER_PORT.
    pub server_port: u16,
    /// SERVER_NAME.
    pub server_name: Vec<u8>,
    /// Start of the transaction (DURATION).
    pub started: Option<std::time::Instant>,
    /// Emptied buffers an earlier transaction's data left (see
    /// [`TxData::recycle`]), taken by [`TxData::buf`]; never read as data.
    pub(crate) spare: SpareBuffers,
}

/// [`TxData`]'s spare buffers: a copy of the data starts without them.
#[derive(Debug, Default)]
pub(crate) struct SpareBuffers(pub Vec<Vec<u8>>);

impl Clone for SpareBuffers {
    fn clone(&self) -> SpareBuffers {
        SpareBuffers(Vec::new())
    }
}

/// Most buffers [`TxData::recycle`] keeps, the largest, and most bytes in
/// all: a big value's (a body's) memory is freed rather than held for a
/// small request, and the agent's pool of data stays within a few MiB.
const DATA_SPARE_BUFFERS: usize = 256;
const DATA_SPARE_CAPACITY: usize = 4096;
const DATA_SPARE_BYTES: usize = 64 * 1024;
/// Largest pair list (in pairs) whose memory `recycle` keeps.
const DATA_SPARE_PAIRS: usize = 256;

/// A matched variable's name and value. Shared: the rule's report, MATCHED_VAR
/// and MATCHED_VARS hold the same match without copying it.
pub type Matched = (std::sync::Arc<str>, std::sync::Arc<[u8]>);

/// Everything rules can read: the request/response data and the state rules
/// change (TX, MATCHED_VAR, ...).
#[derive(Debug, Default)]
pub struct TxVars {
    /// Request and response data.
    pub data: std::sync::Arc<TxData>,
    /// REQBODY_PROCESSOR.
    pub reqbody_processor: Option<String>,
    /// TX.
    pub tx: Collection,
    /// IP, GLOBAL, SESSION, USER, RESOURCE: per transaction for now.
    pub persistent: Vec<(Var, Collection)>,
    /// ENV entries set by `setenv`.
    pub env: Collection,
    /// The rule being evaluated (RULE), read lazily from `rules`.
    pub rule: Option<CurrentRule>,
    /// The rule set, for RULE.
    pub rules: Option<std::sync::Arc<crate::rules::RuleSet>>,
    /// MATCHED_VAR_NAME and MATCHED_VAR of an earlier rule; the current
    /// rule's last match, when it has one, takes precedence
    /// ([`TxVars::last_match`]).
    pub matched_var: Option<Matched>,
    /// MATCHED_VARS of the current rule.
    pub matched_vars: Vec<Matched>,
    /// HIGHEST_SEVERITY.
    pub highest_severity: Option<u8>,
}

fn num(n: impl ToString + TryInto<u8> + Copy) -> Cow<'static, [u8]> {
    // Counts are mostly 0 or 1 (`&TX:foo "@eq 0"`): no allocation for a digit.
    const DIGITS: [&[u8]; 10] = [b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9"];
    match n.try_into() {
        Ok(d) if d < 10 => Cow::Borrowed(DIGITS[usize::from(d)]),
        _ => Cow::Owned(n.to_string().into_bytes()),
    }
}

impl TxData {
    /// `bytes` in a buffer an earlier transaction left, when there is one:
    /// a request's dozens of names and values then cost no allocation each.
    pub(crate) fn buf(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut b = self.spare.0.pop().unwrap_or_default();
        b.extend_from_slice(bytes);
        b
    }

    /// [`TxData::buf`] for text.
    pub(crate) fn buf_string(&mut self, s: &str) -> String {
        // Spare buffers are empty (see `recycle`), and so valid UTF-8.
        let mut out = String::from_utf8(self.spare.0.pop().unwrap_or_default()).unwrap_or_default();
        out.push_str(s);
        out
    }

    /// Empties the data for another transaction: every field as
    /// `TxData::default()` has it, with the memory of small values and of
    /// the lists kept (emptied) for the next one's.
    pub(crate) fn recycle(&mut self) {
        /// Buffers kept, and their bytes.
        struct Kept(Vec<Vec<u8>>, usize);
        /// Keeps `b`'s memory, within the bounds.
        fn keep(kept: &mut Kept, mut b: Vec<u8>) {
            let n = b.capacity();
            if n > 0
                && n <= DATA_SPARE_CAPACITY
                && kept.0.len() < DATA_SPARE_BUFFERS
                && kept.1 + n <= DATA_SPARE_BYTES
            {
                b.clear();
                kept.0.push(b);
                kept.1 += n;
            }
        }
        /// `l` emptied (its names and values kept).
        fn list(kept: &mut Kept, mut l: Vec<Pair>) -> Vec<Pair> {
            for (k, v) in l.drain(..) {
                keep(kept, k);
                keep(kept, v);
            }
            if l.capacity() > DATA_SPARE_PAIRS {
                return Vec::new();
            }
            l
        }
        let old = std::mem::take(self);
        let bytes = old.spare.0.iter().map(Vec::capacity).sum();
        let mut spare = Kept(old.spare.0, bytes);
        self.args_get = list(&mut spare, old.args_get);
        self.args_post = list(&mut spare, old.args_post);
        self.request_headers = list(&mut spare, old.request_headers);
        self.request_cookies = list(&mut spare, old.request_cookies);
        self.response_headers = list(&mut spare, old.response_headers);
        for b in [
            old.request_uri,
            old.request_uri_raw,
            old.request_filename,
            old.request_basename,
            old.request_line,
            old.request_method,
            old.request_protocol,
            old.query_string,
            old.request_body,
            old.response_body,
            old.response_protocol,
            old.server_name,
            old.unique_id.into_bytes(),
            old.remote_addr.into_bytes(),
            old.server_addr.into_bytes(),
        ] {
            keep(&mut spare, b);
        }
        self.spare = SpareBuffers(spare.0);
    }

    fn flag(&self, var: Var) -> Option<u64> {
        let name = var.name();
        match self.flags.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Some(*v),
            None if self.multipart_processed && name.starts_with("MULTIPART_") => Some(0),
            None => None,
        }
    }

    fn args_combined_size(&self) -> usize {
        self.args_get
            .iter()
            .chain(self.args_post.iter())
            .map(|(k, v)| k.len() + v.len())
            .sum()
    }

    /// Reads every value `t` selects into `out`, for variables that are
    /// request/response data ([`Var::is_data`]); others add nothing.
    pub fn collect<'a>(&'a self, t: &Target, out: &mut Vec<Item<'a>>) {
        counted(t, out, |out| self.values(t, out));
    }

    /// The values `t` selects, `&` ignored.
    fn values<'a>(&'a self, t: &Target, out: &mut Vec<Item<'a>>) {
        let keep = |key: &[u8]| keep(t, key);
        // `VAR:key` without exclusions (`REQUEST_HEADERS:User-Agent`, read
        // by dozens of CRS rules): the key compared directly, no selector
        // or exclusion test per pair.
        let only = match (&t.sel, t.exclusions.is_empty()) {
            (KeySel::Key(k), true) => Some(k.as_slice()),
            _ => None,
        };
        let pairs = |list: &'a [Pair], names: bool, out: &mut Vec<Item<'a>>| {
            for (k, v) in list {
                let kept = match only {
                    Some(key) => key.eq_ignore_ascii_case(k),
                    None => keep(k),
                };
                if kept {
                    out.push(Item {
                        var: t.var,
                        key: Cow::Borrowed(k),
                        value: Cow::Borrowed(if names { k } else { v }),
                    });
                }
            }
        };
        let single = |v: Cow<'a, [u8]>, out: &mut Vec<Item<'a>>| single(t, v, out);
        use Var::*;
        match t.var {
            Args => {
                pairs(&self.args_get, false, out);
                pairs(&self.args_post, false, out);
            }
            ArgsGet => pairs(&self.args_get, false, out),
            ArgsPost => pairs(&self.args_post, false, out),
            ArgsNames => {
                pairs(&self.args_get, true, out);
                pairs(&self.args_post, true, out);
            }
            ArgsGetNames => pairs(&self.args_get, true, out),
            ArgsPostNames => pairs(&self.args_post, true, out),
            ArgsCombinedSize => single(num(self.args_combined_size()), out),
            RequestHeaders => pairs(&self.request_headers, false, out),
            RequestHeadersNames => pairs(&self.request_headers, true, out),
            RequestCookies => pairs(&self.request_cookies, false, out),
            RequestCookiesNames => pairs(&self.request_cookies, true, out),
            ResponseHeaders => pairs(&self.response_headers, false, out),
            ResponseHeadersNames => pairs(&self.response_headers, true, out),
            RequestUri => single(Cow::Borrowed(&self.request_uri), out),
            RequestUriRaw => single(Cow::Borrowed(&self.request_uri_raw), out),
            RequestFilename => single(Cow::Borrowed(&self.request_filename), out),
            RequestBasename => single(Cow::Borrowed(&self.request_basename), out),
            RequestLine => single(Cow::Borrowed(&self.request_line), out),
            RequestMethod => single(Cow::Borrowed(&self.request_method), out),
            RequestProtocol => single(Cow::Borrowed(&self.request_protocol), out),
            QueryString => single(Cow::Borrowed(&self.query_string), out),
            RequestBody if !self.request_body_hidden => {
                single(Cow::Borrowed(&self.request_body), out)
            }
            RequestBody => {}
            RequestBodyLength => single(num(self.request_body.len()), out),
            ResponseBody => single(Cow::Borrowed(&self.response_body), out),
            ResponseContentLength => {
                if let Some(v) = header(&self.response_headers, b"content-length") {
                    single(Cow::Borrowed(v), out)
                }
            }
            ResponseContentType => {
                if let Some(v) = header(&self.response_headers, b"content-type") {
                    single(Cow::Borrowed(v), out)
                }
            }
            ResponseStatus => {
                if let Some(s) = self.response_status {
                    single(num(s), out)
                }
            }
            ResponseProtocol => single(Cow::Borrowed(&self.response_protocol), out),
            StatusLine => {
                if let Some(s) = self.response_status {
                    let mut l = self.response_protocol.clone();
                    l.extend_from_slice(format!(" {s}").as_bytes());
                    single(Cow::Owned(l), out)
                }
            }
            Files | FilesNames | FilesSizes | FilesTmpContent | FilesTmpNames => {
                for f in &self.files {
                    if !keep(&f.field) {
                        continue;
                    }
                    let value: Cow<'a, [u8]> = match t.var {
                        Files => Cow::Borrowed(&f.filename),
                        FilesNames => Cow::Borrowed(&f.field),
                        FilesSizes => num(f.content.len()),
                        FilesTmpContent => Cow::Borrowed(&f.content),
                        _ => Cow::Borrowed(b""),
                    };
                    out.push(Item {
                        var: t.var,
                        key: Cow::Borrowed(&f.field),
                        value,
                    });
                }
            }
            FilesCombinedSize => single(
                num(self.files.iter().map(|f| f.content.len()).sum::<usize>()),
                out,
            ),
            MultipartPartHeaders => pairs(&self.part_headers, false, out),
            MultipartName | MultipartFilename => {
                let list = if t.var == MultipartName {
                    &self.multipart_names
                } else {
                    &self.multipart_filenames
                };
                for v in list {
                    if keep(v) {
                        out.push(Item {
                            var: t.var,
                            key: Cow::Borrowed(v),
                            value: Cow::Borrowed(v),
                        });
                    }
                }
            }
            Xml | ResponseXml => {
                // Only the two XPath forms CRS uses are supported (checked at load time).
                let attrs = matches!(&t.sel, KeySel::Key(k) if k.as_slice() == b"//@*");
                let list = if attrs {
                    &self.xml_attrs
                } else {
                    &self.xml_text
                };
                for v in list {
                    out.push(Item {
                        var: t.var,
                        key: Cow::Borrowed(if attrs { b"//@*" } else { b"/*" }),
                        value: Cow::Borrowed(v),
                    });
                }
            }
            ReqbodyError => single(num(u8::from(self.reqbody_error.is_some())), out),
            ReqbodyErrorMsg => {
                if let Some(m) = &self.reqbody_error {
                    single(Cow::Borrowed(m.as_bytes()), out)
                }
            }
            ReqbodyProcessorError => single(num(u8::from(self.reqbody_error.is_some())), out),
            ReqbodyProcessorErrorMsg => {
                if let Some(m) = &self.reqbody_error {
                    single(Cow::Borrowed(m.as_bytes()), out)
                }
            }
            Geo | ResponseArgs => {}
            UniqueId => single(Cow::Borrowed(self.unique_id.as_bytes()), out),
            RemoteAddr | RemoteHost => single(Cow::Borrowed(self.remote_addr.as_bytes()), out),
            RemotePort => single(num(self.remote_port), out),
            ServerAddr => single(Cow::Borrowed(self.server_addr.as_bytes()), out),
            ServerPort => single(num(self.server_port), out),
            ServerName => single(Cow::Borrowed(&self.server_name), out),
            RemoteUser | AuthType | SessionId | UserId | WebappId => {}
            FullRequest => {
                let mut full = self.request_line.clone();
                full.extend_from_slice(b"\r\n");
                for (k, v) in &self.request_headers {
                    full.extend_from_slice(k);
                    full.extend_from_slice(b": ");
                    full.extend_from_slice(v);
                    full.extend_from_slice(b"\r\n");
                }
                full.extend_from_slice(b"\r\n");
                full.extend_from_slice(&self.request_body);
                single(Cow::Owned(full), out)
            }
            FullRequestLength => {
                let n = self.request_line.len()
                    + 2
                    + self
                        .request_headers
                        .iter()
                        .map(|(k, v)| k.len() + v.len() + 4)
                        .sum::<usize>()
                    + 2
                    + self.request_body.len();
                single(num(n), out)
            }
            v if v.is_flag() => {
                if let Some(n) = self.flag(v) {
                    single(num(n), out)
                }
            }
            _ => {}
        }
    }
}

impl TxVars {
    fn persistent(&self, var: Var) -> Option<&Collection> {
        self.persistent
            .iter()
            .find(|(v, _)| *v == var)
            .map(|(_, c)| c)
    }

    /// The persistent collection `var`, created on first use.
    pub fn persistent_mut(&mut self, var: Var) -> &mut Collection {
        if let Some(i) = self.persistent.iter().position(|(v, _)| *v == var) {
            return &mut self.persistent[i].1;
        }
        self.persistent.push((var, Collection::default()));
        let last = self.persistent.len() - 1;
        &mut self.persistent[last].1
    }

    /// A keyed collection that setvar can write (`TX`, `IP`, ..., `ENV`).
    pub fn writable_mut(&mut self, var: Var) -> Option<&mut Collection> {
        match var {
            Var::Tx => Some(&mut self.tx),
            Var::Env => Some(&mut self.env),
            v if v.is_persistent() => Some(self.persistent_mut(v)),
            _ => None,
        }
    }

    /// The request/response data, for changes between phases.
    pub fn data_mut(&mut self) -> &mut TxData {
        std::sync::Arc::make_mut(&mut self.data)
    }

    /// MATCHED_VAR_NAME and MATCHED_VAR: the current rule's last match, else
    /// the last match of an earlier rule.
    pub fn last_match(&self) -> Option<&Matched> {
        self.matched_vars.last().or(self.matched_var.as_ref())
    }

    /// Reads every value `t` selects into `out` (exclusions applied, counts resolved).
    pub fn collect<'a>(&'a self, t: &Target, out: &mut Vec<Item<'a>>) {
        if t.var.is_data() {
            self.data.collect(t, out);
        } else {
            counted(t, out, |out| self.values(t, out));
        }
    }

    /// The values of a state variable `t` selects, `&` ignored.
    fn values<'a>(&'a self, t: &Target, out: &mut Vec<Item<'a>>) {
        let keep = |key: &[u8]| keep(t, key);
        let coll = |c: &'a Collection, out: &mut Vec<Item<'a>>| {
            // Entries the selector already chose; exclusions still apply.
            let mut add = |k: &'a [u8], v: &'a [u8]| {
                if !t.exclusions.iter().any(|e| e.matches(k)) {
                    out.push(Item {
                        var: t.var,
                        key: Cow::Borrowed(k),
                        value: Cow::Borrowed(v),
                    });
                }
            };
            match &t.sel {
                // `TX:name` is the common case (CRS reads its settings this
                // way): one map lookup instead of testing every key.
                KeySel::Key(key) => {
                    if let Some((k, v)) = c.map.get_key_value(key.as_slice()) {
                        add(k, v);
                    }
                }
                KeySel::Prefix(p) => {
                    for (k, v) in c.map.iter().filter(|(k, _)| k.starts_with(p)) {
                        add(k, v);
                    }
                }
                sel => {
                    for (k, v) in c.iter().filter(|(k, _)| sel.matches(k)) {
                        add(k, v);
                    }
                }
            }
        };
        let single = |v: Cow<'a, [u8]>, out: &mut Vec<Item<'a>>| single(t, v, out);
        use Var::*;
        match t.var {
            ReqbodyProcessor => {
                if let Some(p) = &self.reqbody_processor {
                    single(Cow::Borrowed(p.as_bytes()), out)
                }
            }
            Tx => coll(&self.tx, out),
            Env => coll(&self.env, out),
            Rule => {
                if let (Some(cur), Some(rules)) = (&self.rule, &self.rules) {
                    for (k, v) in cur.fields(rules) {
                        if keep(k) {
                            out.push(Item {
                                var: t.var,
                                key: Cow::Borrowed(k),
                                value: Cow::Owned(v),
                            });
                        }
                    }
                }
            }
            Ip | Global | Session | User | Resource => {
                if let Some(c) = self.persistent(t.var) {
                    coll(c, out)
                }
            }
            MatchedVar => {
                if let Some((_, v)) = self.last_match() {
                    single(Cow::Borrowed(&v[..]), out)
                }
            }
            MatchedVarName => {
                if let Some((n, _)) = self.last_match() {
                    single(Cow::Borrowed(n.as_bytes()), out)
                }
            }
            MatchedVars | MatchedVarsNames => {
                for (n, v) in &self.matched_vars {
                    if keep(n.as_bytes()) {
                        out.push(Item {
                            var: t.var,
                            key: Cow::Borrowed(n.as_bytes()),
                            value: Cow::Borrowed(if t.var == MatchedVars {
                                &v[..]
                            } else {
                                n.as_bytes()
                            }),
                        });
                    }
                }
            }
            HighestSeverity => single(num(self.highest_severity.unwrap_or(255)), out),
            Duration => {
                let us = self
                    .data
                    .started
                    .map(|s| s.elapsed().as_micros())
                    .unwrap_or(0);
                single(num(us), out)
            }
            Time | TimeDay | TimeEpoch | TimeHour | TimeMin | TimeMon | TimeSec | TimeWday
            | TimeYear => single(Cow::Owned(time_var(t.var).into_bytes()), out),
            _ => {}
        }
    }
}

/// Whether a target keeps `key` (selected and not excluded).
fn keep(t: &Target, key: &[u8]) -> bool {
    t.sel.matches(key) && !t.exclusions.iter().any(|e| e.matches(key))
}

fn single<'a>(t: &Target, v: Cow<'a, [u8]>, out: &mut Vec<Item<'a>>) {
    out.push(Item {
        var: t.var,
        key: Cow::Borrowed(b""),
        value: v,
    });
}

/// Adds what `values` finds for `t`, or for `&VAR` one item holding how
/// many it found.
fn counted<'a>(t: &Target, out: &mut Vec<Item<'a>>, values: impl FnOnce(&mut Vec<Item<'a>>)) {
    let start = out.len();
    values(out);
    if t.count {
        let n = out.len() - start;
        out.truncate(start);
        single(t, num(n), out);
    }
}

/// The first header called `name` (case-insensitive).
pub(crate) fn header<'a>(list: &'a [Pair], name: &[u8]) -> Option<&'a [u8]> {
    list.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// TIME* variables from the wall clock (UTC).
fn time_var(var: Var) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    let wday = (days + 4).rem_euclid(7);
    match var {
        Var::TimeEpoch => secs.to_string(),
        Var::TimeYear => y.to_string(),
        Var::TimeMon => format!("{mo:02}"),
        Var::TimeDay => format!("{d:02}"),
        Var::TimeHour => format!("{h:02}"),
        Var::TimeMin => format!("{m:02}"),
        Var::TimeSec => format!("{s:02}"),
        Var::TimeWday => wday.to_string(),
        _ => format!("{h:02}:{m:02}:{s:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hinted update writes what a plain one writes, wherever the hint
    /// points (nowhere, past the end after a removal, another key), and
    /// then points at the key.
    #[test]
    fn hinted_updates_write_what_plain_updates_write() {
        let (mut plain, mut hinted) = (Collection::default(), Collection::default());
        let hint = KeyHint::default();
        let keys: [&[u8]; 6] = [b"a", b"score", b"score", b"score", b"b", b"score"];
        for (n, key) in keys.into_iter().enumerate() {
            if n == 3 {
                // With `a` gone, `score` is the only entry: the hint
                // points past the end.
                plain.remove(b"a");
                hinted.remove(b"a");
            }
            plain.update(key, |v| v.push(b'0' + n as u8));
            hinted.update_hinted(key, &hint, |v| v.push(b'0' + n as u8));
        }
        // A hint that points at another key.
        let other = KeyHint::default();
        hinted.update_hinted(b"b", &other, |v| v.push(b'x'));
        plain.update(b"b", |v| v.push(b'x'));
        plain.update(b"c", |v| v.push(b'y'));
        hinted.update_hinted(b"c", &other, |v| v.push(b'y'));
        let all = |c: &Collection| {
            let mut v: Vec<(Vec<u8>, Vec<u8>)> =
                c.map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            v.sort();
            v
        };
        assert_eq!(all(&plain), all(&hinted));
        assert_eq!(hinted.get(b"score"), Some(&b"1235"[..]));
        let at = hint.0.load(std::sync::atomic::Ordering::Relaxed) as usize;
        assert_eq!(
            hinted.map.get_index(at).map(|(k, _)| &k[..]),
            Some(&b"score"[..])
        );
    }

    /// A mark holds while its key's entry is unwritten and in place (or
    /// while there is still no entry): writes to other keys keep it, any
    /// write to its key, a removal, a bulk change or another collection
    /// do not.
    #[test]
    fn marks_hold_until_their_key_changes() {
        let mut c = Collection::default();
        c.set(b"a", b"1".to_vec());
        c.set(b"b", b"2".to_vec());
        let hint = KeyHint::new();
        let mark = |c: &Collection, key: &[u8]| c.mark(c.find_hinted(key, &hint).map(|(i, _)| i));
        let (a, none) = (mark(&c, b"a"), mark(&c, b"zz"));
        assert!(c.unchanged(&a) && c.unchanged(&none));
        assert!(!c.unchanged(&KeyMark::STALE));
        // Other keys: rewritten, hinted, added.
        c.set_bytes(b"b", b"3");
        c.update_hinted(b"b", &KeyHint::new(), |v| v.push(b'4'));
        assert!(c.unchanged(&a) && c.unchanged(&none));
        c.update(b"c", |v| v.push(b'5'));
        assert!(c.unchanged(&a));
        assert!(
            !c.unchanged(&none),
            "a key was added: no entry may be one now"
        );
        // Its own key, by each kind of write (even to the same value).
        let writes: [fn(&mut Collection); 4] = [
            |c| c.set(b"a", b"1".to_vec()),
            |c| c.set_bytes(b"A", b"1"),
            |c| c.update(b"a", |_| {}),
            |c| c.update_hinted(b"a", &KeyHint::new(), |_| {}),
        ];
        for write in writes {
            let a = mark(&c, b"a");
            write(&mut c);
            assert!(!c.unchanged(&a));
        }
        // Entries moved or rewritten in bulk.
        let other = c.clone();
        let bulk: [fn(&mut Collection, &Collection); 4] = [
            |c, _| c.remove(b"b"),
            |c, _| c.remove_matching(&KeySel::Key(b"c".to_vec())),
            |c, o| c.copy_from(o),
            |c, _| c.clear(),
        ];
        for change in bulk {
            c.copy_from(&other);
            let (a, none) = (mark(&c, b"a"), mark(&c, b"zz"));
            assert!(c.unchanged(&a));
            change(&mut c, &other);
            assert!(!c.unchanged(&a) && !c.unchanged(&none));
        }
        // Another collection, equal or not, holds no mark of this one.
        c.copy_from(&other);
        let a = mark(&c, b"a");
        assert!(!other.unchanged(&a) && !c.clone().unchanged(&a));
    }

    #[test]
    fn every_write_changes_the_generation_and_copies_have_their_own() {
        let mut c = Collection::default();
        let mut seen = vec![c.generation()];
        let mut note = |c: &Collection| {
            assert!(!seen.contains(&c.generation()), "generation repeated");
            seen.push(c.generation());
        };
        c.set(b"a", b"1".to_vec());
        note(&c);
        c.set_bytes(b"a", b"2");
        note(&c);
        c.update(b"b", |v| v.push(b'x'));
        note(&c);
        c.update_hinted(b"b", &KeyHint::default(), |v| v.push(b'y'));
        note(&c);
        c.remove(b"b");
        note(&c);
        c.remove_matching(&KeySel::All);
        note(&c);
        let mut other = Collection::default();
        other.set(b"k", b"v".to_vec());
        c.copy_from(&other);
        note(&c);
        c.clear();
        note(&c);
        let copy = c.clone();
        note(&copy);
        // Reads change nothing.
        let before = other.generation();
        let _ = other.get(b"k");
        assert_eq!(other.generation(), before);
    }

    /// Recycled data reads as new data in every field, and keeps the
    /// (emptied) buffers of small values only.
    #[test]
    fn recycled_data_is_new_data_with_spare_buffers() {
        let pair = |k: &str, v: &str| (k.as_bytes().to_vec(), v.as_bytes().to_vec());
        let mut d = TxData {
            args_get: vec![pair("a", "1"), pair("b", "2")],
            args_post: vec![pair("c", "3")],
            request_headers: vec![pair("Host", "example.com")],
            request_cookies: vec![pair("s", "x")],
            response_headers: vec![pair("Content-Type", "text/html")],
            request_uri: b"/a?b=2".to_vec(),
            request_line: b"GET /a?b=2 HTTP/1.1".to_vec(),
            request_body: vec![b'x'; DATA_SPARE_CAPACITY + 1],
            response_body: b"<html>".to_vec(),
            files: vec![UploadedFile::default()],
            flags: vec![("URLENCODED_ERROR", 1)],
            xml_text: vec![b"t".to_vec()],
            reqbody_error: Some("e".into()),
            response_status: Some(200),
            unique_id: "id".into(),
            remote_addr: "192.0.2.1".into(),
            remote_port: 1,
            server_name: b"example.com".to_vec(),
            multipart_processed: true,
            ..TxData::default()
        };
        d.recycle();
        let spare = std::mem::take(&mut d.spare.0);
        assert_eq!(format!("{d:?}"), format!("{:?}", TxData::default()));
        // 6 pairs, 6 small values; the large body is freed.
        assert_eq!(spare.len(), 6 * 2 + 6);
        assert!(spare.iter().all(|b| b.is_empty() && b.capacity() > 0));
        assert!(spare.iter().all(|b| b.capacity() <= DATA_SPARE_CAPACITY));
        // The lists keep their memory.
        assert!(d.args_get.capacity() >= 2 && d.request_headers.capacity() >= 1);
        // A copy of the data does not take the buffers with it.
        d.spare.0 = spare;
        assert!(d.clone().spare.0.is_empty());
        assert_eq!(d.buf(b"abc"), b"abc");
        assert_eq!(d.spare.0.len(), 6 * 2 + 6 - 1);
    }

    /// However many values a request had, recycled data keeps a bounded
    /// number of bytes.
    #[test]
    fn recycled_data_keeps_a_bounded_memory() {
        let mut d = TxData {
            request_headers: (0..1000)
                .map(|_| (vec![b'h'; 3000], vec![b'v'; 3000]))
                .collect(),
            ..TxData::default()
        };
        d.recycle();
        let kept: usize = d.spare.0.iter().map(Vec::capacity).sum();
        assert!(
            kept <= DATA_SPARE_BYTES && kept > DATA_SPARE_BYTES / 2,
            "{kept}"
        );
        assert!(d.spare.0.len() <= DATA_SPARE_BUFFERS);
        // A list that long is not kept either.
        assert_eq!(d.request_headers.capacity(), 0);
        // Recycled again: still within the bound.
        d.request_headers = vec![(vec![b'h'; 3000], vec![b'v'; 3000]); 30];
        d.recycle();
        assert!(d.spare.0.iter().map(Vec::capacity).sum::<usize>() <= DATA_SPARE_BYTES);
    }

    #[test]
    fn collections_iterate_in_the_order_keys_were_first_set() {
        let mut c = Collection::default();
        c.set(b"b", b"1".to_vec());
        c.set(b"A", b"2".to_vec());
        c.set(b"c", b"3".to_vec());
        // Updating a key keeps its place; keys are lower-cased.
        c.set(b"b", b"4".to_vec());
        c.update(b"a", |v| v.push(b'!'));
        let keys = |c: &Collection| c.iter().map(|(k, _)| k.to_vec()).collect::<Vec<_>>();
        assert_eq!(keys(&c), [&b"b"[..], b"a", b"c"]);
        assert_eq!(c.get(b"A"), Some(&b"2!"[..]));
        c.remove(b"B");
        assert_eq!(keys(&c), [&b"a"[..], b"c"]);
        c.set(b"b", Vec::new());
        assert_eq!(keys(&c), [&b"a"[..], b"c", b"b"]);
    }

    /// A hinted read finds what an exact one finds, whatever the hint
    /// says: right, stale after a removal moved the keys, or past the end.
    #[test]
    fn hinted_reads_agree_with_exact_ones() {
        let mut c = Collection::default();
        for k in ["a", "b", "c"] {
            c.set_bytes(k.as_bytes(), k.as_bytes());
        }
        let hint = KeyHint::default();
        for _ in 0..2 {
            assert_eq!(c.get_hinted(b"c", &hint), Some(&b"c"[..]));
        }
        c.remove(b"a");
        assert_eq!(c.get_hinted(b"c", &hint), Some(&b"c"[..]));
        assert_eq!(c.get_hinted(b"b", &hint), Some(&b"b"[..]));
        c.remove(b"b");
        c.remove(b"c");
        assert_eq!(c.get_hinted(b"c", &hint), None);
        c.set_bytes(b"c", b"again");
        assert_eq!(c.get_hinted(b"c", &hint), Some(&b"again"[..]));
        assert_eq!(c.get_hinted(b"missing", &hint), None);
    }

    /// A second copy of the same source restores only what changed, and
    /// the result is always the source again: after rewrites (through
    /// every setter, upper-case keys included), additions, removals and a
    /// copy of another source in between.
    #[test]
    fn copies_of_the_same_source_restore_it() {
        let mut src = Collection::default();
        for k in ["a", "b", "c", "d"] {
            src.set_bytes(k.as_bytes(), format!("v{k}").as_bytes());
        }
        let mut other = Collection::default();
        other.set_bytes(b"z", b"1");
        let entries = |c: &Collection| -> Vec<(Vec<u8>, Vec<u8>)> {
            c.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()
        };
        let mut c = Collection::default();
        type Change = fn(&mut Collection);
        let changes: [Change; 7] = [
            |c| c.set_bytes(b"b", b"changed"),
            |c| c.set(b"C", b"upper".to_vec()),
            |c| c.update(b"a", |v| v.push(b'!')),
            |c| c.set_bytes(b"new", b"added"),
            |c| c.remove(b"b"),
            |c| c.remove_matching(&KeySel::Key(b"d".to_vec())),
            |c| {
                for _ in 0..10 {
                    c.update(b"a", |v| v.push(b'+'));
                }
            },
        ];
        for round in 0..3 {
            for (n, change) in changes.iter().enumerate() {
                c.copy_from(&src);
                assert_eq!(entries(&c), entries(&src), "round {round}, before {n}");
                change(&mut c);
                assert_ne!(entries(&c), entries(&src), "change {n} changes");
                c.copy_from(&src);
                assert_eq!(entries(&c), entries(&src), "round {round}, after {n}");
                assert_eq!(c.get(b"b"), Some(&b"vb"[..]));
                // All changes at once.
                changes.iter().for_each(|f| f(&mut c));
            }
            c.copy_from(&other);
            assert_eq!(entries(&c), entries(&other));
            c.set_bytes(b"z", b"2");
        }
    }

    /// A cleared collection keeps its entries' buffers, and new entries
    /// start from them empty: nothing of the old values shows.
    #[test]
    fn cleared_buffers_serve_new_entries_empty() {
        let mut c = Collection::default();
        c.set_bytes(b"inbound_anomaly_score", b"12345678");
        c.set_bytes(b"x", b"abc");
        c.clear();
        assert_eq!(c.len(), 0);
        assert_eq!(c.spare.len(), 4);
        assert!(c.spare.iter().all(|b| b.is_empty() && b.capacity() > 0));
        c.update(b"counter", |v| {
            assert!(v.is_empty());
            v.push(b'1');
        });
        c.set_bytes(b"k", b"v");
        assert_eq!(c.spare.len(), 0);
        let all: Vec<(Vec<u8>, Vec<u8>)> =
            c.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        assert_eq!(
            all,
            [
                (b"counter".to_vec(), b"1".to_vec()),
                (b"k".to_vec(), b"v".to_vec())
            ]
        );
        // Bounded: a huge collection does not keep every buffer.
        for i in 0..MAX_SPARE_BUFFERS {
            c.set_bytes(format!("key{i}").as_bytes(), b"1");
        }
        c.clear();
        assert!(c.spare.len() <= MAX_SPARE_BUFFERS);
    }
}
