// Package awsfile reads and surgically edits the AWS shared config and
// credentials files (~/.aws/config, ~/.aws/credentials, or $AWS_CONFIG_FILE and
// $AWS_SHARED_CREDENTIALS_FILE).
//
// These files belong to the user, so every byte snowsts does not own survives an
// edit exactly: comments ('#' and ';'), blank lines, spacing, "key=value" written
// without spaces, nested blocks (s3 = / addressing_style = path), section order,
// CRLF line endings, a byte-order mark and a missing final newline. Edits are
// made on a line model ([Doc]) whose classification of lines mirrors
// gopkg.in/ini.v1's parser with AllowNestedValues, IgnoreInlineComment,
// IgnoreContinuation and PreserveSurroundedQuote (the AWS CLI keeps '#', quotes
// and backslashes as part of a value too); a fuzz test holds the two readers
// together, so reading a file does not run ini.v1 (its writer reformats the
// whole file and is never used). After every edit the lines it can affect are
// parsed again, by the line model and by ini.v1: from the header of the first
// section it touches to the first header after it that is still a header (the
// parser's state starts over at a header, so nothing later can change). The
// edit is refused if any line it did not write would change meaning (for
// example an indented line that would become a nested value, or an indented key
// that the AWS CLI reads as the continuation of the key above it and that would
// get a new neighbour); such edits leave the Doc as it was. Look-ups go through
// an index of the section headers, so an edit costs the size of its section,
// not of the file, and the last few files parsed are remembered (by content)
// for the next read of the same bytes.
//
// A Doc keeps the file as one string and each line as 8 bytes of offsets and
// flags, with no pointer: keys, values and section names are read from the
// text when asked for. A big file is classified in chunks at once (each chunk
// starts at a header, where the parser's state starts over), and written back
// as slices of the string it was read into, without copying it.
//
// Repeated sections and repeated keys (the AWS CLI refuses both; ini.v1 and the
// Go SDK merge them, the last value winning) are read like ini.v1 reads them, and
// Set leaves a single copy of the key it sets. Key names compare
// case-insensitively, section names after collapsing white space.
//
// Malformed files are refused with the line number and exit code Config: an
// unclosed section header "[name", a line that is neither a comment, a header nor
// "key = value" (or "key: value"), and a key before the first section header.
// ini.v1 accepts the last as a DEFAULT section, but the AWS CLI (botocore) refuses
// the whole file, so snowsts does too. A multi-line quoted value (a value that
// opens """ or ` without closing it on the same line) is refused as well because
// the line model keeps one line per key, and so is a line longer than 16 MB.
// Errors carry line numbers and key names, never values, which may be secrets.
//
// # The managed mark
//
// A section written by snowsts carries the key
//
//	x_snowsts_managed = true
//
// inside the section (not a comment above it), so the mark moves, and is deleted,
// with the section. The AWS SDKs and the AWS CLI ignore keys they do not know:
// with such a key in both [profile X] and [X], AWS CLI v1 (botocore 1.43)
// `aws configure list --profile X` and `aws configure get region --profile X`
// work normally, `aws configure get x_snowsts_managed --profile X` prints "true",
// and the Go SDK v2 (config.LoadSharedConfigProfile) loads the profile with its
// region, services and credentials unchanged (see the package tests).
//
// # Writing
//
// [Update] runs a read-modify-write of one file under an advisory lock on a
// sibling "<file>.lock" (github.com/gofrs/flock), bounded by a context (default
// 10 s), and replaces the file atomically: a temp file in the same directory is
// written, fsynced and given the old file's mode (0600 for a new file, in a new
// 0700 directory) and, when running as root, its owner, then renamed over the
// target and the directory fsynced. A symlinked path is resolved and its target
// written, so the link stays a link. When fn fails or changes nothing, the file
// is not touched at all. Holding the lock, Update also removes the temp files
// (".<name>.tmp-<digits>") that a writer killed mid-write left behind, once
// they are a minute old.
package awsfile

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"gopkg.in/ini.v1"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// ManagedKey is the key inside a section that marks it as written by snowsts.
const ManagedKey = "x_snowsts_managed"

// Paths are the locations of the shared config and credentials files.
type Paths struct {
	Config      string
	Credentials string
}

// PathsFromEnv resolves the two files as the AWS SDKs do: $AWS_CONFIG_FILE and
// $AWS_SHARED_CREDENTIALS_FILE when set (a leading "~/" means home), else
// home/.aws/config and home/.aws/credentials.
func PathsFromEnv(getenv func(string) string, home string) Paths {
	pick := func(env, def string) string {
		v := getenv(env)
		if v == "" {
			return def
		}
		if v == "~" {
			return home
		}
		if strings.HasPrefix(v, "~/") {
			return home + v[1:]
		}
		return v
	}
	return Paths{
		Config:      pick("AWS_CONFIG_FILE", home+"/.aws/config"),
		Credentials: pick("AWS_SHARED_CREDENTIALS_FILE", home+"/.aws/credentials"),
	}
}

// ConfigSection is the config-file section name for profile: "default" for the
// default profile, "profile NAME" otherwise. In the credentials file the section
// is the bare profile name.
func ConfigSection(profile string) string {
	if profile == "default" {
		return "default"
	}
	return "profile " + profile
}

// ParseError is a malformed line in a file. It never carries the line's text.
type ParseError struct {
	Line int    // 1-based
	Msg  string // what is wrong, without any value
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

const parseHint = "fix that line by hand (snowsts never rewrites a file it cannot parse)"

type kind uint8

const (
	kBlank kind = iota
	kComment
	kHeader
	kKey
	kNested
)

// Line endings, as a line stores them.
const (
	eolNone uint8 = iota // the file's last line, without a final newline
	eolLF
	eolCRLF
)

var eolText = [...]string{eolNone: "", eolLF: "\n", eolCRLF: "\r\n"}

func eolCode(s string) uint8 {
	switch s {
	case "\n":
		return eolLF
	case "\r\n":
		return eolCRLF
	}
	return eolNone
}

// line is one physical line of the file with its classification, described
// by offsets only: its text is Doc.src[start:start+n] (Doc.added[start] for a
// line an edit wrote). Its key and value are found again in the text when
// asked for (see fields). A line is 8 bytes and holds no pointer, so the
// lines of a big file cost the garbage collector nothing to scan, and the
// file's bytes are kept once, in Doc.src.
type line struct {
	start int32  // offset of the text in Doc.src, or index in Doc.added
	bits  uint32 // the text's length (without the line ending), kind, line ending and added; see the methods
}

const (
	maxLine   = 1<<24 - 1 // the longest text of a line
	kindShift = 24        // 3 bits
	eolShift  = 27        // 2 bits
	addedBit  = 1 << 29   // the text is in Doc.added
)

func newLine(start, n int, eol uint8, added bool) line {
	l := line{start: int32(start), bits: uint32(n) | uint32(eol)<<eolShift}
	if added {
		l.bits |= addedBit
	}
	return l
}

func (l line) n() int          { return int(l.bits & maxLine) }
func (l line) kind() kind      { return kind(l.bits >> kindShift & 7) }
func (l line) eol() uint8      { return uint8(l.bits >> eolShift & 3) }
func (l line) added() bool     { return l.bits&addedBit != 0 }
func (l *line) setKind(k kind) { l.bits = l.bits&^(7<<kindShift) | uint32(k)<<kindShift }
func (l *line) setEOL(e uint8) { l.bits = l.bits&^(3<<eolShift) | uint32(e)<<eolShift }

// fields are the parts of a line's text, as offsets into it.
type fields struct {
	// kKey: the key name; kNested: the child key (text before '=',
	// trimmed); kHeader: the name between the brackets, not normalised.
	keyAt, keyN int
	// valAt is where the value part starts (after the delimiter) in kKey
	// lines and kNested lines with '='.
	valAt int
	// kKey: the value as ini.v1 reads it; kNested: the text after '=', trimmed.
	valOff, valN int
	hasEq        bool // kNested: the line has '='
}

// Doc is a parsed AWS config or credentials file that can be edited without
// disturbing the lines it does not touch. The zero Doc is an empty file.
type Doc struct {
	read  string   // the file as read; edits leave it as it was
	bom   string   // the byte-order marks at the start of read
	src   string   // read after bom; the lines not written by an edit are slices of it
	added []string // the texts of lines written by edits
	lines []line
	eol   string
	// finalNL says the file ends with a line ending.
	finalNL bool
	// shared says lines is shared with other Docs (see parseMemo): an edit
	// copies it first.
	shared bool
	// idx locates the section headers; nil until needed. It is never
	// changed once built (an edit makes a new one), so Docs may share it.
	idx *index
	// The lines outside [editLo, editHi) are as parsed, in file order:
	// [0, editLo) are the file's first lines, [editHi, len(lines)) its
	// last ones. All lines are inside when edited is false and the range
	// empty; an edit widens it.
	editLo, editHi int
	edited         bool
}

// text is line i's text, without its line ending.
func (d *Doc) text(i int) string {
	l := &d.lines[i]
	if l.added() {
		return d.added[l.start]
	}
	return d.src[int(l.start) : int(l.start)+l.n()]
}

// raw is line i's text and line ending: a slice of src when the file holds
// them so, which is every line but the few an edit wrote or re-ended.
func (d *Doc) raw(i int) string {
	l := &d.lines[i]
	e := eolText[l.eol()]
	if !l.added() {
		end := int(l.start) + l.n()
		if end+len(e) <= len(d.src) && d.src[end:end+len(e)] == e {
			return d.src[l.start : end+len(e)]
		}
	}
	return d.text(i) + e
}

// fields reads line i's fields from its text again, as its classification
// did (the line has been classified, so it reads without error).
func (d *Doc) fields(i int) fields {
	raw := d.raw(i)
	switch d.lines[i].kind() {
	case kNested:
		return nestedFields(raw)
	case kHeader:
		trimmed := trimLeft(raw)
		return fields{keyAt: len(raw) - len(trimmed) + 1, keyN: strings.LastIndexByte(trimmed, ']') - 1}
	case kKey:
		trimmed := trimLeft(raw)
		f, _ := keyFields(trimmed, len(raw)-len(trimmed))
		return f
	}
	return fields{}
}

// key is the key of a kKey or kNested line, or the raw name of a header.
func (d *Doc) key(i int) string {
	f := d.fields(i)
	return d.text(i)[f.keyAt : f.keyAt+f.keyN]
}

// value is the value of a kKey or kNested line.
func (d *Doc) value(i int) string {
	f := d.fields(i)
	return d.text(i)[f.valOff : f.valOff+f.valN]
}

// headerName is the normalised section name of the header line h.
func (d *Doc) headerName(h int) string { return normSection(d.key(h)) }

// sectionOf is the name of the section line i is in, "" before the first header.
func (d *Doc) sectionOf(i int) string {
	heads := d.index().heads
	k, _ := slices.BinarySearch(heads, int32(i)+1)
	if k == 0 {
		return ""
	}
	return d.headerName(int(heads[k-1]))
}

// index locates the section headers of a Doc, so that a look-up reads one
// section instead of the whole file. It holds no strings: names are read from
// the headers when compared.
type index struct {
	heads []int32  // line indexes of the headers, in file order
	next  []int32  // position in heads -> position of the section's next header, or -1
	hash  []uint32 // position in heads -> hash of the section name
	// slots is a hash table (open addressing, linear probing) of the
	// section names: the position in heads of a section's first header, or
	// -1 for an empty slot.
	slots []int32
}

// newIndex indexes the headers heads of d; names and hashes, when not nil,
// are their section names and the names' hashes.
func newIndex(d *Doc, heads []int32, names []string, hashes []uint32) *index {
	size := 8
	for size < 2*len(heads) {
		size <<= 1
	}
	if hashes == nil {
		hashes = make([]uint32, len(heads))
		for k, h := range heads {
			hashes[k] = hashName(d.headerName(int(h)))
		}
	}
	x := &index{heads: heads, next: make([]int32, len(heads)), hash: hashes, slots: make([]int32, size)}
	for i := range x.slots {
		x.slots[i] = -1
	}
	name := func(k int32) string {
		if names != nil {
			return names[k]
		}
		return d.headerName(int(heads[k]))
	}
	// From the end, so that a slot ends at its name's first header and next
	// chains the copies forwards.
	for k := int32(len(heads) - 1); k >= 0; k-- {
		nm := name(k)
		s := x.probe(x.hash[k], func(j int32) bool { return name(j) == nm })
		x.next[k] = x.slots[s]
		x.slots[s] = k
	}
	return x
}

// hashName is the 32-bit FNV-1a hash of a section name.
func hashName(name string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return h
}

// probe is the slot that holds the name whose hash is h (same tells whether
// the header at a position has it), or the empty slot where it would go.
func (x *index) probe(h uint32, same func(k int32) bool) int {
	mask := len(x.slots) - 1
	for s := int(h) & mask; ; s = (s + 1) & mask {
		if k := x.slots[s]; k < 0 || x.hash[k] == h && same(k) {
			return s
		}
	}
}

// first is the position in heads of the first header of the section name,
// or -1.
func (x *index) first(d *Doc, name string) int32 {
	if len(x.slots) == 0 {
		return -1
	}
	return x.slots[x.probe(hashName(name), func(k int32) bool { return d.headerName(int(x.heads[k])) == name })]
}

var emptyIndex = &index{}

// index returns d's index, building it if needed.
func (d *Doc) index() *index {
	if d.idx != nil {
		return d.idx
	}
	if len(d.lines) == 0 {
		return emptyIndex
	}
	var heads []int32
	for i := range d.lines {
		if d.lines[i].kind() == kHeader {
			heads = append(heads, int32(i))
		}
	}
	d.idx = newIndex(d, heads, nil, nil)
	return d.idx
}

// spans calls fn with the line range [start, end) of every copy of section
// (header included), in file order, until fn returns false.
func (d *Doc) spans(section string, fn func(start, end int) bool) {
	x := d.index()
	for k := x.first(d, normSection(section)); k >= 0; k = x.next[k] {
		end := len(d.lines)
		if int(k)+1 < len(x.heads) {
			end = int(x.heads[k+1])
		}
		if !fn(int(x.heads[k]), end) {
			return
		}
	}
}

// Parse parses data. A malformed file gives an error that names the line and
// carries exit code Config.
func Parse(data []byte) (*Doc, error) {
	if d := memo.get(data); d != nil {
		return d, nil
	}
	return parseMemoized(string(data), true)
}

// parseMemoized parses data and, when remember is set, remembers the result.
// A Doc about to be edited is not worth remembering: its first edit would
// copy it.
func parseMemoized(data string, remember bool) (*Doc, error) {
	d, err := parseString(data)
	if err != nil {
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("parse: %w", err), parseHint)
	}
	if remember {
		d = memo.put(d)
	}
	return d, nil
}

// parseMemo keeps the last few files parsed, by content. One run of snowsts
// reads each file more than once, from packages that each load what they need
// (assume: Load to check the target and read the device profile, then Update);
// parsing a file of 30,000 profiles takes milliseconds, comparing it with a
// remembered one a fraction of that. A hit is a Doc that
// shares the parsed lines with the memo until its first edit copies them.
type parseMemo struct {
	mu      sync.Mutex
	entries [4]*Doc
	next    int
}

// memoMin is the smallest file worth remembering.
const memoMin = 4 << 10

var memo parseMemo

// candidates are the remembered Docs read from files of size bytes.
func (m *parseMemo) candidates(size int64) []*Doc {
	if size < memoMin {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Doc
	for _, d := range m.entries {
		if d != nil && int64(len(d.read)) == size {
			out = append(out, d)
		}
	}
	return out
}

// get is the remembered Doc read from data, or nil.
func (m *parseMemo) get(data []byte) *Doc {
	for _, d := range m.candidates(int64(len(data))) {
		if d.read == string(data) {
			return d.share()
		}
	}
	return nil
}

// share is a copy of the remembered d for a caller.
func (d *Doc) share() *Doc {
	c := *d
	return &c
}

// put remembers d (big enough) and returns the caller's copy.
func (m *parseMemo) put(d *Doc) *Doc {
	if len(d.read) < memoMin {
		return d
	}
	d.index()
	d.shared = true
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[m.next] = d
	m.next = (m.next + 1) % len(m.entries)
	return d.share()
}

// iniOptions are the ini.v1 options that match how the AWS CLI reads a value.
var iniOptions = ini.LoadOptions{
	AllowNestedValues:       true,
	IgnoreInlineComment:     true,
	IgnoreContinuation:      true,
	PreserveSurroundedQuote: true,
}

// parse parses data; see parseString.
func parse(data []byte) (*Doc, error) { return parseString(string(data)) }

// parseString parses data, which the Doc keeps: its lines are slices of it.
// A big file is read in up to GOMAXPROCS (at most 4) chunks at once.
func parseString(data string) (*Doc, error) {
	return parseChunks(data, min(runtime.GOMAXPROCS(0), 4))
}

// parseChunks parses data in up to maxChunks chunks at once.
func parseChunks(data string, maxChunks int) (*Doc, error) {
	d := &Doc{read: data, eol: "\n", finalNL: true}
	s := data
	for {
		switch {
		case strings.HasPrefix(s, "\xef\xbb\xbf"):
			s = s[3:]
			continue
		case strings.HasPrefix(s, "\xfe\xff"), strings.HasPrefix(s, "\xff\xfe"):
			return nil, &ParseError{Line: 1, Msg: "UTF-16 files are not supported"}
		}
		break
	}
	d.bom = data[:len(data)-len(s)]
	if s == "" {
		return d, nil
	}
	if len(s) > math.MaxInt32 {
		return nil, &ParseError{Line: 1, Msg: "file larger than 2 GB"}
	}
	d.src = s
	d.finalNL = s[len(s)-1] == '\n'
	// Each chunk starts at the top or at a header, where the classifier's
	// state starts over, so the chunks can be read at once; the first
	// chunk with an error has the file's first error.
	bounds := chunkBounds(s, maxChunks)
	chunks := make([]chunk, len(bounds)-1)
	n := 0
	for k := range chunks {
		chunks[k].from, chunks[k].to, chunks[k].first = bounds[k], bounds[k+1], n
		n += strings.Count(s[bounds[k]:bounds[k+1]], "\n")
	}
	if !d.finalNL {
		n++
	}
	d.lines = make([]line, n)
	var wg sync.WaitGroup
	for k := range chunks {
		ch := &chunks[k]
		if k == len(chunks)-1 {
			ch.read(d)
			break
		}
		wg.Go(func() { ch.read(d) })
	}
	wg.Wait()
	var heads []int32
	var names []string
	var hashes []uint32
	for k := range chunks {
		if chunks[k].err != nil {
			return nil, chunks[k].err
		}
		heads = append(heads, chunks[k].heads...)
		names = append(names, chunks[k].names...)
		hashes = append(hashes, chunks[k].hashes...)
	}
	for i := range d.lines {
		if e := d.lines[i].eol(); e != eolNone {
			d.eol = eolText[e]
			break
		}
	}
	d.idx = newIndex(d, heads, names, hashes)
	return d, nil
}

// chunkMin is the size of the smallest chunk worth reading on its own.
const chunkMin = 256 << 10

// chunkBounds splits s into up to maxChunks chunks of whole lines (of at
// least about chunkMin bytes), each after the first starting with a line that
// begins with '[': a header whatever comes before it. The result runs from 0
// to len(s).
func chunkBounds(s string, maxChunks int) []int {
	n := min(maxChunks, len(s)/chunkMin)
	bounds := []int{0}
	for k := 1; k < n; k++ {
		at := max(len(s)*k/n, bounds[len(bounds)-1])
		i := strings.Index(s[at:], "\n[")
		if i < 0 {
			break
		}
		if b := at + i + 1; b > bounds[len(bounds)-1] {
			bounds = append(bounds, b)
		}
	}
	return append(bounds, len(s))
}

// chunk is a run of lines read by one goroutine.
type chunk struct {
	from, to int // byte offsets in Doc.src
	first    int // index of its first line
	heads    []int32
	names    []string
	hashes   []uint32
	err      error
}

// read splits the chunk into lines and classifies them into d.lines, which
// has room for them.
func (ch *chunk) read(d *Doc) {
	s, ls := d.src, d.lines
	var c classifier
	for i, start := ch.first, ch.from; start < ch.to; i++ {
		end := ch.to
		if nl := strings.IndexByte(s[start:ch.to], '\n'); nl >= 0 {
			end = start + nl + 1
		}
		n, eol := end-start, eolNone
		if s[end-1] == '\n' {
			n, eol = n-1, eolLF
			if n > 0 && s[end-2] == '\r' {
				n, eol = n-1, eolCRLF
			}
		}
		if n > maxLine {
			ch.err = &ParseError{Line: i + 1, Msg: "line longer than 16 MB"}
			return
		}
		l := newLine(start, n, eol, false)
		if err := c.step(&l, s[start:end], i+1); err != nil {
			ch.err = err
			return
		}
		ls[i] = l
		if l.kind() == kHeader {
			ch.heads = append(ch.heads, int32(i))
			ch.names = append(ch.names, c.header)
			ch.hashes = append(ch.hashes, hashName(c.header))
		}
		start = end
	}
}

// validateINI checks that ini.v1 accepts the lines of d (preceded by bom) too.
// Its messages quote the line, which may hold a secret, so only the line
// number is reported, counted from first: the shortest failing prefix of
// whole lines.
func validateINI(bom string, d *Doc, first int) error {
	b := []byte(bom)
	for p := range d.linePieces {
		b = append(b, p...)
	}
	if _, err := ini.LoadSources(iniOptions, b); err == nil {
		return nil
	}
	prefix := []byte(bom)
	for i := range d.lines {
		prefix = append(prefix, d.text(i)...)
		prefix = append(prefix, eolText[d.lines[i].eol()]...)
		if _, err := ini.LoadSources(iniOptions, prefix); err != nil {
			return &ParseError{Line: first + i, Msg: "not valid INI"}
		}
	}
	return &ParseError{Line: first + len(d.lines) - 1, Msg: "not valid INI"}
}

func isSpaceTab(b byte) bool { return b == ' ' || b == '\t' }

func isASCIISpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

// trimLeft is strings.TrimLeftFunc(s, unicode.IsSpace), fast on ASCII.
func trimLeft(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && isASCIISpace(s[i]) {
		i++
	}
	if i < len(s) && s[i] >= utf8.RuneSelf {
		return strings.TrimLeftFunc(s[i:], unicode.IsSpace)
	}
	return s[i:]
}

// trimSpan is the span [at, at+n) of strings.TrimSpace(s[a:b]) in s.
func trimSpan(s string, a, b int) (at, n int) {
	t := trimLeft(s[a:b])
	a = b - len(t)
	for b > a && s[b-1] < utf8.RuneSelf && isASCIISpace(s[b-1]) {
		b--
	}
	if b > a && s[b-1] >= utf8.RuneSelf {
		b = a + len(strings.TrimRightFunc(s[a:b], unicode.IsSpace))
	}
	return a, b - a
}

// classifier assigns kinds to lines one at a time, following ini.v1's
// parser. Its state is reset by every section header, so a run that starts at
// a header (or at the top of the file) classifies the lines as a run over the
// whole file does.
type classifier struct {
	inSection bool
	lastEmpty bool   // the last key line has an empty value: indented lines are nested
	lastDash  bool   // the last key line's key is "-"
	header    string // the section name of the last header line
}

// step classifies l, whose text and line ending are raw; lineNo is its
// 1-based number for errors. A nested line's parent is the nearest key line
// above it (see parent).
func (c *classifier) step(l *line, raw string, lineNo int) error {
	if c.inSection && plainKeyLine(raw) {
		// What the rest of step finds too, only sooner: the common line.
		l.setKind(kKey)
		c.lastEmpty, c.lastDash = false, false
		return nil
	}
	l.setKind(kBlank)
	if c.lastEmpty && raw != "" && isSpaceTab(raw[0]) {
		if c.lastDash {
			// ini.v1 numbers a key named "-" and refuses a nested block under it.
			return &ParseError{Line: lineNo, Msg: `nested value under the key "-"`}
		}
		l.setKind(kNested)
		return nil
	}
	trimmed := trimLeft(raw)
	switch {
	case trimmed == "":
		return nil
	case trimmed[0] == '#' || trimmed[0] == ';':
		l.setKind(kComment)
		return nil
	case trimmed[0] == '[':
		closeAt := strings.LastIndexByte(trimmed, ']')
		if closeAt < 0 {
			return &ParseError{Line: lineNo, Msg: "section header without ']'"}
		}
		name := normSection(trimmed[1:closeAt])
		if name == "" {
			return &ParseError{Line: lineNo, Msg: "empty section name"}
		}
		c.inSection, c.lastEmpty, c.header = true, false, name
		l.setKind(kHeader)
		return nil
	}
	if !c.inSection {
		return &ParseError{Line: lineNo, Msg: "key outside any section (the AWS CLI refuses such a file)"}
	}
	f, msg := keyFields(trimmed, len(raw)-len(trimmed))
	if msg != "" {
		return &ParseError{Line: lineNo, Msg: msg}
	}
	l.setKind(kKey)
	name := raw[f.keyAt : f.keyAt+f.keyN]
	c.lastEmpty, c.lastDash = f.valN == 0, name == "-"
	return nil
}

// plainKeyLine reports whether raw is "name = value" with a name that starts
// with an ASCII letter, digit or '_' and a value that starts with a printable
// ASCII character other than a quote: a key line with a non-empty value,
// whose name is not "-", whatever the classifier's state (in a section).
// Any other line gets the full reading.
func plainKeyLine(raw string) bool {
	if raw == "" || !isNameStart(raw[0]) {
		return false
	}
	e := indexDelim(raw)
	if e < 0 {
		return false
	}
	j := e + 1
	for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t') {
		j++
	}
	if j == len(raw) {
		return false
	}
	b := raw[j]
	return b > ' ' && b < 0x7f && b != '"' && b != '`'
}

func isNameStart(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

// keyFields reads a key line whose text and line ending, without the lead
// bytes of leading white space, are trimmed; msg says what is wrong with it.
func keyFields(trimmed string, lead int) (f fields, msg string) {
	at, n, off, msg := readKeyName(trimmed)
	if msg != "" {
		return f, msg
	}
	vat, vn, msg := readValue(trimmed[off:])
	if msg != "" {
		return f, fmt.Sprintf("key %q: %s", trimmed[at:at+n], msg)
	}
	return fields{keyAt: lead + at, keyN: n, valAt: lead + off, valOff: lead + off + vat, valN: vn}, ""
}

// nestedFields reads a nested line (text and line ending raw): "key = value"
// or anything else.
func nestedFields(raw string) fields {
	eq := strings.IndexByte(raw, '=')
	if eq < 0 {
		return fields{}
	}
	f := fields{hasEq: true, valAt: eq + 1}
	f.keyAt, f.keyN = trimSpan(raw, 0, eq)
	f.valOff, f.valN = trimSpan(raw, eq+1, len(raw))
	return f
}

// indexDelim is strings.IndexAny(s, "=:").
func indexDelim(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' || s[i] == ':' {
			return i
		}
	}
	return -1
}

// readKeyName mirrors ini.v1's readKeyName with the delimiters "=:": the name
// is s[at:at+n] and the value starts at off.
func readKeyName(s string) (at, n, off int, msg string) {
	q := ""
	switch s[0] {
	case '"':
		q = `"`
		if len(s) > 6 && s[:3] == `"""` {
			q = `"""`
		}
	case '`':
		q = "`"
	}
	if q != "" {
		pos := strings.Index(s[len(q):], q)
		if pos < 0 {
			return 0, 0, 0, "quoted key name without closing quote"
		}
		pos += len(q)
		i := indexDelim(s[pos+len(q):])
		if i < 0 {
			return 0, 0, 0, "no '=' after the key name"
		}
		at, n = trimSpan(s, len(q), pos)
		if n == 0 {
			return 0, 0, 0, "empty key name"
		}
		return at, n, pos + i + len(q) + 1, ""
	}
	end := indexDelim(s)
	if end < 0 {
		return 0, 0, 0, "neither a section header, a comment nor key = value"
	}
	at, n = trimSpan(s, 0, end)
	if end == 0 || n == 0 {
		return 0, 0, 0, "empty key name"
	}
	return at, n, end + 1, ""
}

// readValue mirrors ini.v1's readValue under iniOptions; s includes the line
// ending. The value is s[at:at+n].
func readValue(s string) (at, n int, msg string) {
	t := trimLeft(s)
	if t == "" {
		return 0, 0, ""
	}
	lead := len(s) - len(t)
	q := ""
	if len(t) > 3 && t[:3] == `"""` {
		q = `"""`
	} else if t[0] == '`' {
		q = "`"
	}
	if q != "" {
		pos := strings.LastIndex(t[len(q):], q)
		if pos < 0 {
			return 0, 0, "multi-line quoted value is not supported"
		}
		return lead + len(q), pos, ""
	}
	at, n = trimSpan(s, lead, len(s))
	return at, n, ""
}

// normSection trims a header name and collapses inner runs of white space, so
// that "[profile  snow ]" and "[profile snow]" name the same section.
func normSection(s string) string {
	simple := s != "" && s[0] != ' ' && s[len(s)-1] != ' '
	for i := 0; simple && i < len(s); i++ {
		switch b := s[i]; {
		case b >= utf8.RuneSelf, b == '\t', b == '\n', b == '\v', b == '\f', b == '\r':
			simple = false
		case b == ' ' && s[i+1] == ' ':
			simple = false
		}
	}
	if simple {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// Bytes returns the file's content.
func (d *Doc) Bytes() []byte {
	n := len(d.bom)
	for i := range d.lines {
		n += d.lines[i].n() + len(eolText[d.lines[i].eol()])
	}
	b := make([]byte, 0, n)
	for p := range d.pieces {
		b = append(b, p...)
	}
	return b
}

// pieces yields the file's content in order: the byte-order mark, then the
// lines (see linePieces).
func (d *Doc) pieces(yield func(string) bool) {
	if d.bom == "" || yield(d.bom) {
		d.linePieces(yield)
	}
}

// linePieces yields the lines in order, in as few pieces as it can: the
// lines before and after the edited range each as one slice of src, and
// within it each run of lines that src holds contiguously as one piece and
// the texts and line endings of the lines edits wrote.
func (d *Doc) linePieces(yield func(string) bool) {
	lo, hi := d.editLo, d.editHi
	if !d.edited {
		lo, hi = 0, 0
	}
	if lo > 0 {
		l := &d.lines[lo-1]
		if !yield(d.src[:int(l.start)+l.n()+len(eolText[l.eol()])]) {
			return
		}
	}
	if d.editedPieces(lo, hi, yield) && hi < len(d.lines) {
		yield(d.src[d.lines[hi].start:])
	}
}

// editedPieces yields the lines [lo, hi) and reports whether to go on.
func (d *Doc) editedPieces(lo, hi int, yield func(string) bool) bool {
	rs, re := 0, 0 // a run of src not yet yielded
	flush := func() bool {
		p := d.src[rs:re]
		rs, re = 0, 0
		return p == "" || yield(p)
	}
	for i := lo; i < hi; i++ {
		l := &d.lines[i]
		e := eolText[l.eol()]
		if l.added() {
			if !flush() || !yield(d.added[l.start]) || e != "" && !yield(e) {
				return false
			}
			continue
		}
		s, t := int(l.start), int(l.start)+l.n()
		if s != re {
			if !flush() {
				return false
			}
			rs = s
		}
		re = t
		if t+len(e) <= len(d.src) && d.src[t:t+len(e)] == e {
			re += len(e)
			continue
		}
		if !flush() || e != "" && !yield(e) {
			return false
		}
	}
	return flush()
}

// equal reports whether the file's content is s.
func (d *Doc) equal(s string) bool {
	off := 0
	for p := range d.pieces {
		if !strings.HasPrefix(s[off:], p) {
			return false
		}
		off += len(p)
	}
	return off == len(s)
}

// Sections returns the section names in the order of their first header.
func (d *Doc) Sections() []string {
	var out []string
	x := d.index()
	for k, h := range x.heads {
		name := d.headerName(int(h))
		if x.first(d, name) == int32(k) {
			out = append(out, name)
		}
	}
	return out
}

// Has reports whether the file has a section named section.
func (d *Doc) Has(section string) bool {
	return d.index().first(d, normSection(section)) >= 0
}

// keyLines returns the indexes of the top-level lines of key in section, in order.
// Key names compare case-insensitively, as the SDKs lower-case them.
func (d *Doc) keyLines(section, key string) []int {
	var out []int
	d.spans(section, func(start, end int) bool {
		for i := start + 1; i < end; i++ {
			if d.lines[i].kind() == kKey && strings.EqualFold(d.key(i), key) {
				out = append(out, i)
			}
		}
		return true
	})
	return out
}

// childLines returns the nested lines under the key line p whose key is key
// (all nested lines when key is "").
func (d *Doc) childLines(p int, key string) []int {
	var out []int
	for i := p + 1; i < len(d.lines); i++ {
		l := &d.lines[i]
		if l.kind() == kBlank || l.kind() == kComment {
			continue
		}
		// Only blank, comment and nested lines come between p and i, so
		// p is i's parent.
		if l.kind() != kNested {
			break
		}
		if key == "" || d.fields(i).hasEq && strings.EqualFold(d.key(i), key) {
			out = append(out, i)
		}
	}
	return out
}

// Get returns the value of key in section (the last one when repeated).
func (d *Doc) Get(section, key string) (string, bool) {
	ls := d.keyLines(section, key)
	if len(ls) == 0 {
		return "", false
	}
	return d.value(ls[len(ls)-1]), true
}

// GetNested returns the value of key in the nested block under parent in section,
// e.g. GetNested("services snow", "sts", "endpoint_url").
func (d *Doc) GetNested(section, parent, key string) (string, bool) {
	ps := d.keyLines(section, parent)
	if len(ps) == 0 {
		return "", false
	}
	cs := d.childLines(ps[len(ps)-1], key)
	if len(cs) == 0 {
		return "", false
	}
	return d.value(cs[len(cs)-1]), true
}

// Keys returns the top-level keys of section with lower-cased names, as the SDKs
// see them; the last of a repeated key wins. A key with a nested block has "".
func (d *Doc) Keys(section string) map[string]string {
	out := map[string]string{}
	d.spans(section, func(start, end int) bool {
		for i := start + 1; i < end; i++ {
			if d.lines[i].kind() == kKey {
				out[strings.ToLower(d.key(i))] = d.value(i)
			}
		}
		return true
	})
	return out
}

// IsManaged reports whether section carries snowsts's mark.
func (d *Doc) IsManaged(section string) bool {
	v, ok := d.Get(section, ManagedKey)
	return ok && strings.EqualFold(v, "true")
}

// MarkManaged puts snowsts's mark in section, creating the section if needed.
func (d *Doc) MarkManaged(section string) error {
	return d.Set(section, ManagedKey, "true")
}

// ErrInvalid is wrapped by the errors of edits refused because of their input.
var ErrInvalid = errors.New("invalid")

func checkSection(s string) error {
	if s == "" || normSection(s) != s {
		return fmt.Errorf("%w section name %q: empty or with extra white space", ErrInvalid, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '[' || r == ']' || r == utf8.RuneError {
			return fmt.Errorf("%w section name %q: control character, bracket or bad UTF-8", ErrInvalid, s)
		}
	}
	return nil
}

func checkKey(k string) error {
	ok := k != ""
	for i, r := range k {
		alnum := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
		if !(alnum || i > 0 && (r == '-' || r == '.')) {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%w key name %q: want letters, digits, '_', '-' and '.'", ErrInvalid, k)
	}
	return nil
}

// checkValue refuses values that would not read back as written. The value is
// never quoted in the error.
func checkValue(key, v string) error {
	bad := func(why string) error { return fmt.Errorf("%w value for key %q: %s", ErrInvalid, key, why) }
	if v == "" {
		return bad("empty (use Delete to remove a key)")
	}
	if !utf8.ValidString(v) {
		return bad("not valid UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return bad("contains a control character or line break")
		}
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return bad("leading or trailing white space")
	}
	if strings.HasPrefix(v, "`") || strings.HasPrefix(v, `"""`) {
		return bad("starts with a quote that INI readers would strip")
	}
	return nil
}
