package awsfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"gopkg.in/ini.v1"
)

// foreignLines returns the non-blank lines outside section (all of them with
// keepAll), as text+eol; the
// line ending of the file's last line is left out, since appending after it must
// give it one.
func foreignLines(d *Doc, section string, keepAll bool) []string {
	var out []string
	for i := range d.lines {
		if !keepAll && d.sectionOf(i) == section || d.lines[i].kind() == kBlank {
			continue
		}
		s := d.text(i)
		if i < len(d.lines)-1 {
			s += eolText[d.lines[i].eol()]
		}
		out = append(out, s)
	}
	return out
}

func FuzzEdit(f *testing.F) {
	seeds := []string{servicesFile, foreign, "", "[a]\nk = v", "[a]\r\nk=v\r\n\r\n# c\r\n[b]\r\n",
		"[a]\nk = 1\n[b]\nx=1\n[a]\nk = 2\n", "[a]\nsts = 1\n  [b]\n  x = 1\n", "\ufeff[a]\n\ts3 =\n\t  y = 1\n\n  z = 2\n"}
	for i, s := range seeds {
		f.Add([]byte(s), "a", "k", "value", uint8(i))
		f.Add([]byte(s), "services snow", "sts", "http://192.0.2.10:7078", uint8(i+1))
		f.Add([]byte(s), "profile snow", "region", "snow", uint8(i+2))
	}
	f.Fuzz(func(t *testing.T, data []byte, section, key, value string, op uint8) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		if !bytes.Equal(d.Bytes(), data) {
			t.Fatalf("parse and Bytes do not round-trip: %q -> %q", data, d.Bytes())
		}
		before := foreignLines(d, normSection(section), false)
		d0, _ := Parse(data)
		switch op % 5 {
		case 0:
			err = d.Set(section, key, value)
		case 1:
			err = d.SetNested(section, key, "endpoint_url", value)
		case 2:
			err = d.Delete(section, key)
		case 3:
			err = d.DeleteSection(section)
		case 4:
			err = d.MarkManaged(section)
		}
		out := d.Bytes()
		if naive := naiveBytes(d); !bytes.Equal(out, naive) {
			t.Fatalf("Bytes %q, line by line %q", out, naive)
		}
		if err != nil {
			if !bytes.Equal(out, data) {
				t.Fatalf("a refused edit (%v) changed the doc:\n%q\n->\n%q", err, data, out)
			}
			if op%5 <= 1 && checkSection(section) == nil && checkKey(key) == nil && checkValue(key, value) == nil && !errors.Is(err, ErrInvalid) {
				// Refused for the sake of a foreign line: allowed, but must say which.
				if !bytes.Contains([]byte(err.Error()), []byte("line ")) {
					t.Fatalf("refusal without a line: %v", err)
				}
			}
			return
		}
		nd, err := Parse(out)
		if err != nil {
			t.Fatalf("result does not parse: %v\n%q\n->\n%q", err, data, out)
		}
		// Every foreign line is still there, in order (a subsequence of the
		// result's lines: comments that were in the edited section may stay too),
		// and nothing outside the edited section is new.
		all := foreignLines(nd, "", true)
		j := 0
		for _, want := range before {
			for j < len(all) && !sameLine(want, all[j]) {
				j++
			}
			if j == len(all) {
				t.Fatalf("foreign line %q lost:\n%q\n->\n%q", want, data, out)
			}
			j++
		}
		had := map[string]bool{}
		for i := range d0.lines {
			had[d0.text(i)] = true
			had[strings.TrimSuffix(d0.text(i), "\r")] = true // "x\r" at EOF gains "\n"
		}
		for i := range nd.lines {
			if nd.sectionOf(i) != normSection(section) && nd.lines[i].kind() != kBlank && !had[nd.text(i)] {
				t.Fatalf("new line %q outside the edited section:\n%q\n->\n%q", nd.text(i), data, out)
			}
		}
		switch op % 5 {
		case 0, 4:
			want := value
			if op%5 == 4 {
				key, want = ManagedKey, "true"
			}
			if v, ok := iniValue(t, out, normSection(section), key); !ok || v != want {
				t.Fatalf("ini.v1 reads %q %v, want the value\n%q", v, ok, out)
			}
			if v, ok := nd.Get(section, key); !ok || v != want {
				t.Fatalf("Get reads %q %v", v, ok)
			}
		case 1:
			if !iniNested(t, out, normSection(section), key, "endpoint_url", value) {
				t.Fatalf("ini.v1 does not see the nested value\n%q", out)
			}
			if v, ok := nd.GetNested(section, key, "endpoint_url"); !ok || v != value {
				t.Fatalf("GetNested reads %q %v", v, ok)
			}
		case 2:
			if _, ok := iniValue(t, out, normSection(section), key); ok {
				t.Fatalf("ini.v1 still sees the key\n%q", out)
			}
		case 3:
			if nd.Has(section) {
				t.Fatalf("section still there\n%q", out)
			}
		}
	})
}

// naiveBytes is d's content written line by line, without the runs and the
// edited range that Bytes relies on.
func naiveBytes(d *Doc) []byte {
	b := []byte(d.bom)
	for i := range d.lines {
		b = append(b, d.text(i)...)
		b = append(b, eolText[d.lines[i].eol()]...)
	}
	return b
}

// sameLine reports whether after is the foreign line before, allowing a line
// ending added to what was the file's last line or taken from what became it.
func sameLine(before, after string) bool {
	eol := func(s string) bool { return s == "" || s == "\n" || s == "\r\n" }
	if rest, ok := strings.CutPrefix(after, before); ok && eol(rest) {
		return true
	}
	// or taken from what became the last line of a file without a final newline
	rest, ok := strings.CutPrefix(before, after)
	return ok && eol(rest)
}

// FuzzParseAgreesWithINI holds Parse's own reader to ini.v1, which Parse no
// longer runs on every file it reads (only edits are checked with ini.v1):
// whatever Parse accepts, ini.v1 accepts too, and reads the same values.
func FuzzParseAgreesWithINI(f *testing.F) {
	for _, s := range []string{servicesFile, foreign, "", "[a]\nk = v", "[a]\r\nk=v\r\n\r\n# c\r\n[b]\r\n",
		"[a]\nk = 1\n[b]\nx=1\n[a]\nk = 2\n", "[a]\nsts = 1\n  [b]\n  x = 1\n", "\ufeff[a]\n\ts3 =\n\t  y = 1\n\n  z = 2\n",
		"[a]\nk = \"\"\"x\"\"\"\n`q`: 1\n- = 2\n", "[0]\n-=\n \n", genConfig(3), genCredentials(3)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The classifier's shortcut for a plain key line agrees with
		// the full reading of the line.
		for raw := range strings.Lines(string(data)) {
			if !plainKeyLine(raw) {
				continue
			}
			f, msg := keyFields(raw, 0)
			if name := raw[f.keyAt : f.keyAt+f.keyN]; msg != "" || f.valN == 0 || name == "-" {
				t.Fatalf("plain key line %q: %q, value %d bytes, name %q", raw, msg, f.valN, name)
			}
		}
		d, err := Parse(data)
		if err != nil {
			return
		}
		opts := iniOptions
		opts.InsensitiveKeys = true
		f, err := ini.LoadSources(opts, data)
		if err != nil {
			t.Fatalf("Parse accepts what ini.v1 refuses (%v):\n%q", err, data)
		}
		for _, s := range d.Sections() {
			var same []*ini.Section
			for _, is := range f.Sections() {
				if normSection(is.Name()) == s {
					same = append(same, is)
				}
			}
			if len(same) != 1 {
				continue // "[a]" and "[ a ]": one section for Parse, two for ini.v1
			}
			for k, v := range d.Keys(s) {
				if v == "" || k == "-" {
					continue // a nested block (ini.v1 keeps the children in the value), or ini.v1's auto-numbered key
				}
				if got := same[0].Key(k).Value(); got != v {
					t.Fatalf("[%s] %s: Parse reads %q, ini.v1 %q\n%q", s, k, v, got, data)
				}
			}
		}
	})
}
