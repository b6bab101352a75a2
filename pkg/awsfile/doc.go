// Package awsfile reads and surgically edits the AWS shared config and
// credentials files (~/.aws/config, ~/.aws/credentials, or $AWS_CONFIG_FILE and
// $AWS_SHARED_CREDENTIALS_FILE).
//
// These files belong to the user, so every byte snowsts does not own survives an
// edit exactly: comments ('#' and ';'), blank lines, spacing, "key=value" written
// without spaces, nested blocks (s3 = / addressing_style = path), section order,
// CRLF line endings, a byte-order mark and a missing final newline. gopkg.in/ini.v1
// is used only to validate a file (its writer reformats the whole file); edits are
// made on a line model ([Doc]) whose classification of lines mirrors ini.v1's
// parser with AllowNestedValues, IgnoreInlineComment, IgnoreContinuation and
// PreserveSurroundedQuote (the AWS CLI keeps '#', quotes and backslashes as part
// of a value too). After every edit the result is parsed again and the edit is
// refused if any line it did not write would change meaning (for example an
// indented line that would become a nested value, or an indented key that the
// AWS CLI reads as the continuation of the key above it and that would get a new
// neighbour); such edits leave the Doc as it was.
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
// the line model keeps one line per key. Errors carry line numbers and key names,
// never values, which may be secrets.
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
// is not touched at all.
package awsfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
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

// line is one physical line of the file with its classification.
type line struct {
	text    string // without the line ending
	eol     string // "\n", "\r\n" or "" (last line without a final newline)
	orig    int    // index in the doc before the current edit, -1 when written by the edit
	touched bool   // rewritten by the current edit

	kind    kind
	section string // normalised name of the section the line is in
	key     string // kKey: key name; kNested: child key (text before '=')
	value   string // kKey: value as ini.v1 reads it; kNested: text after '='
	valAt   int    // kKey and kNested with '=': byte offset in text where the value part starts
	hasEq   bool   // kNested: the line has '='
	parent  int    // kNested: index of the parent key line
}

// Doc is a parsed AWS config or credentials file that can be edited without
// disturbing the lines it does not touch. The zero Doc is an empty file.
type Doc struct {
	bom     string
	lines   []line
	eol     string
	finalNL bool
}

// Parse parses data. A malformed file gives an error that names the line and
// carries exit code Config.
func Parse(data []byte) (*Doc, error) {
	d, err := parse(data)
	if err != nil {
		return nil, exitcode.New(exitcode.Config, fmt.Errorf("parse: %w", err), parseHint)
	}
	return d, nil
}

// iniOptions are the ini.v1 options that match how the AWS CLI reads a value.
var iniOptions = ini.LoadOptions{
	AllowNestedValues:       true,
	IgnoreInlineComment:     true,
	IgnoreContinuation:      true,
	PreserveSurroundedQuote: true,
}

func parse(data []byte) (*Doc, error) {
	d := &Doc{eol: "\n", finalNL: true}
	rest := data
	for {
		switch {
		case bytes.HasPrefix(rest, []byte{0xef, 0xbb, 0xbf}):
			rest = rest[3:]
			continue
		case bytes.HasPrefix(rest, []byte{0xfe, 0xff}), bytes.HasPrefix(rest, []byte{0xff, 0xfe}):
			return nil, &ParseError{Line: 1, Msg: "UTF-16 files are not supported"}
		}
		break
	}
	d.bom = string(data[:len(data)-len(rest)])
	s := string(rest)
	if s != "" {
		d.finalNL = strings.HasSuffix(s, "\n")
		s = strings.TrimSuffix(s, "\n")
		pieces := strings.Split(s, "\n")
		for i, t := range pieces {
			l := line{text: t, eol: "\n", orig: i}
			switch {
			case i == len(pieces)-1 && !d.finalNL:
				l.eol = ""
			case strings.HasSuffix(t, "\r"):
				l.text, l.eol = t[:len(t)-1], "\r\n"
			}
			d.lines = append(d.lines, l)
		}
		for _, l := range d.lines {
			if l.eol != "" {
				d.eol = l.eol
				break
			}
		}
	}
	if err := d.classify(); err != nil {
		return nil, err
	}
	if err := validateINI(data, d); err != nil {
		return nil, err
	}
	return d, nil
}

// validateINI checks that ini.v1 accepts data too. Its messages quote the line,
// which may hold a secret, so only the line number is reported: the shortest
// failing prefix of whole lines.
func validateINI(data []byte, d *Doc) error {
	if _, err := ini.LoadSources(iniOptions, data); err == nil {
		return nil
	}
	prefix := []byte(d.bom)
	for i, l := range d.lines {
		prefix = append(prefix, l.text...)
		prefix = append(prefix, l.eol...)
		if _, err := ini.LoadSources(iniOptions, prefix); err != nil {
			return &ParseError{Line: i + 1, Msg: "not valid INI"}
		}
	}
	return &ParseError{Line: len(d.lines), Msg: "not valid INI"}
}

func isSpaceTab(b byte) bool { return b == ' ' || b == '\t' }

// classify assigns kinds, sections, keys and values, following ini.v1's parser.
func (d *Doc) classify() error {
	section := ""
	inSection := false
	lastEmpty := false
	lastKey := -1
	for i := range d.lines {
		l := &d.lines[i]
		l.kind, l.section, l.key, l.value, l.valAt, l.hasEq, l.parent = kBlank, section, "", "", 0, false, -1
		raw := l.text + l.eol
		if lastEmpty && raw != "" && isSpaceTab(raw[0]) {
			l.kind, l.parent = kNested, lastKey
			if eq := strings.IndexByte(l.text, '='); eq >= 0 {
				l.hasEq = true
				l.key = strings.TrimSpace(l.text[:eq])
				l.valAt = eq + 1
				l.value = strings.TrimSpace(l.text[eq+1:])
			}
			continue
		}
		trimmed := strings.TrimLeftFunc(raw, unicode.IsSpace)
		lead := len(raw) - len(trimmed)
		switch {
		case trimmed == "":
			continue
		case trimmed[0] == '#' || trimmed[0] == ';':
			l.kind = kComment
			continue
		case trimmed[0] == '[':
			closeAt := strings.LastIndexByte(trimmed, ']')
			if closeAt < 0 {
				return &ParseError{Line: i + 1, Msg: "section header without ']'"}
			}
			name := normSection(trimmed[1:closeAt])
			if name == "" {
				return &ParseError{Line: i + 1, Msg: "empty section name"}
			}
			section, inSection, lastEmpty = name, true, false
			l.kind, l.section = kHeader, name
			continue
		}
		if !inSection {
			return &ParseError{Line: i + 1, Msg: "key outside any section (the AWS CLI refuses such a file)"}
		}
		name, off, msg := readKeyName(trimmed)
		if msg != "" {
			return &ParseError{Line: i + 1, Msg: msg}
		}
		value, msg := readValue(trimmed[off:])
		if msg != "" {
			return &ParseError{Line: i + 1, Msg: fmt.Sprintf("key %q: %s", name, msg)}
		}
		l.kind, l.key, l.value, l.valAt = kKey, name, value, lead+off
		lastEmpty, lastKey = value == "", i
	}
	return nil
}

// readKeyName mirrors ini.v1's readKeyName with the delimiters "=:".
func readKeyName(s string) (name string, off int, msg string) {
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
			return "", 0, "quoted key name without closing quote"
		}
		pos += len(q)
		i := strings.IndexAny(s[pos+len(q):], "=:")
		if i < 0 {
			return "", 0, "no '=' after the key name"
		}
		name = strings.TrimSpace(s[len(q):pos])
		if name == "" {
			return "", 0, "empty key name"
		}
		return name, pos + i + len(q) + 1, ""
	}
	end := strings.IndexAny(s, "=:")
	if end < 0 {
		return "", 0, "neither a section header, a comment nor key = value"
	}
	name = strings.TrimSpace(s[:end])
	if end == 0 || name == "" {
		return "", 0, "empty key name"
	}
	return name, end + 1, ""
}

// readValue mirrors ini.v1's readValue under iniOptions; s includes the line ending.
func readValue(s string) (string, string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if s == "" {
		return "", ""
	}
	q := ""
	if len(s) > 3 && s[:3] == `"""` {
		q = `"""`
	} else if s[0] == '`' {
		q = "`"
	}
	if q != "" {
		pos := strings.LastIndex(s[len(q):], q)
		if pos < 0 {
			return "", "multi-line quoted value is not supported"
		}
		return s[len(q) : len(q)+pos], ""
	}
	return strings.TrimSpace(s), ""
}

// normSection trims a header name and collapses inner runs of white space, so
// that "[profile  snow ]" and "[profile snow]" name the same section.
func normSection(s string) string { return strings.Join(strings.Fields(s), " ") }

// Bytes returns the file's content.
func (d *Doc) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(d.bom)
	for _, l := range d.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return b.Bytes()
}

// Sections returns the section names in the order of their first header.
func (d *Doc) Sections() []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range d.lines {
		if l.kind == kHeader && !seen[l.section] {
			seen[l.section] = true
			out = append(out, l.section)
		}
	}
	return out
}

// Has reports whether the file has a section named section.
func (d *Doc) Has(section string) bool {
	section = normSection(section)
	for _, l := range d.lines {
		if l.kind == kHeader && l.section == section {
			return true
		}
	}
	return false
}

// keyLines returns the indexes of the top-level lines of key in section, in order.
// Key names compare case-insensitively, as the SDKs lower-case them.
func (d *Doc) keyLines(section, key string) []int {
	section = normSection(section)
	var out []int
	for i, l := range d.lines {
		if l.kind == kKey && l.section == section && strings.EqualFold(l.key, key) {
			out = append(out, i)
		}
	}
	return out
}

// childLines returns the nested lines under the key line p whose key is key
// (all nested lines when key is "").
func (d *Doc) childLines(p int, key string) []int {
	var out []int
	for i := p + 1; i < len(d.lines); i++ {
		l := d.lines[i]
		if l.kind == kBlank || l.kind == kComment {
			continue
		}
		if l.kind != kNested || l.parent != p {
			break
		}
		if key == "" || l.hasEq && strings.EqualFold(l.key, key) {
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
	return d.lines[ls[len(ls)-1]].value, true
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
	return d.lines[cs[len(cs)-1]].value, true
}

// Keys returns the top-level keys of section with lower-cased names, as the SDKs
// see them; the last of a repeated key wins. A key with a nested block has "".
func (d *Doc) Keys(section string) map[string]string {
	section = normSection(section)
	out := map[string]string{}
	for _, l := range d.lines {
		if l.kind == kKey && l.section == section {
			out[strings.ToLower(l.key)] = l.value
		}
	}
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
