package awsfile

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gopkg.in/ini.v1"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// iniValue reads section/key back with ini.v1 the way a consumer would. Section
// names are compared after normalising white space and key names ignore case,
// as the SDKs do. It fails the test when more than one copy is visible.
func iniValue(t testing.TB, data []byte, section, key string) (string, bool) {
	t.Helper()
	f, err := ini.LoadSources(ini.LoadOptions{
		AllowNestedValues: true, IgnoreInlineComment: true, IgnoreContinuation: true,
		PreserveSurroundedQuote: true, InsensitiveKeys: true,
	}, data)
	if err != nil {
		t.Fatalf("ini.v1 cannot parse the result: %v\n%s", err, data)
	}
	var vals []string
	for _, s := range f.Sections() {
		if normSection(s.Name()) != section || !s.HasKey(strings.ToLower(key)) {
			continue
		}
		vals = append(vals, s.Key(strings.ToLower(key)).Value())
	}
	if len(vals) > 1 {
		t.Fatalf("ini.v1 sees %d copies of [%s] %s\n%s", len(vals), section, key, data)
	}
	if len(vals) == 0 {
		return "", false
	}
	return vals[0], true
}

// iniNested reports whether ini.v1 sees "key = value" nested under parent.
func iniNested(t testing.TB, data []byte, section, parent, key, value string) bool {
	t.Helper()
	f, err := ini.LoadSources(ini.LoadOptions{AllowNestedValues: true, IgnoreInlineComment: true,
		IgnoreContinuation: true, PreserveSurroundedQuote: true, InsensitiveKeys: true}, data)
	if err != nil {
		t.Fatalf("ini.v1 cannot parse the result: %v\n%s", err, data)
	}
	for _, s := range f.Sections() {
		if normSection(s.Name()) != section || !s.HasKey(parent) {
			continue
		}
		for _, nv := range s.Key(parent).NestedValues() {
			k, v, ok := strings.Cut(nv, "=")
			if ok && strings.TrimSpace(k) == key && strings.TrimSpace(v) == value {
				return true
			}
		}
	}
	return false
}

const servicesFile = `# my settings
[default]
region=us-west-2
output = json

[profile snow]
region = snow
services = snow
; keep me
s3 =
    addressing_style = path

[services snow]
sts =
  endpoint_url = http://192.0.2.1:7078
s3 =
	addressing_style = path

# the next one is mine
[profile other]
region = eu-west-1
`

func TestEditGolden(t *testing.T) {
	tests := []struct {
		name string
		in   string
		edit func(d *Doc) error
		want string
		// check, when set, is read back with ini.v1: section, key, value
		check [3]string
	}{
		{
			name:  "replace keeps k=v without spaces",
			in:    "[profile snow]\nregion=us-east-1\n",
			edit:  func(d *Doc) error { return d.Set("profile snow", "region", "snow") },
			want:  "[profile snow]\nregion=snow\n",
			check: [3]string{"profile snow", "region", "snow"},
		},
		{
			name: "replace keeps tabs and trailing blanks",
			in:   "[a]\n\tregion\t=\tx  \n",
			edit: func(d *Doc) error { return d.Set("a", "region", "snow") },
			want: "[a]\n\tregion\t=\tsnow  \n",
		},
		{
			name:  "replace keeps the key's case and a colon",
			in:    "[a]\nRegion: x\n",
			edit:  func(d *Doc) error { return d.Set("a", "region", "snow") },
			want:  "[a]\nRegion: snow\n",
			check: [3]string{"a", "region", "snow"},
		},
		{
			name: "replace an empty value",
			in:   "[a]\nregion =\nx = 1\n",
			edit: func(d *Doc) error { return d.Set("a", "region", "snow") },
			want: "[a]\nregion = snow\nx = 1\n",
		},
		{
			name:  "append before the next section's comment",
			in:    "# top\n[profile snow]\nregion = snow\n\n# about other\n[profile other]\nregion = x\n",
			edit:  func(d *Doc) error { return d.Set("profile snow", "services", "snow") },
			want:  "# top\n[profile snow]\nregion = snow\nservices = snow\n\n# about other\n[profile other]\nregion = x\n",
			check: [3]string{"profile snow", "services", "snow"},
		},
		{
			name: "append after a nested block",
			in:   servicesFile,
			edit: func(d *Doc) error { return d.Set("profile snow", "ca_bundle", "/etc/snow ca.pem") },
			want: strings.Replace(servicesFile, "    addressing_style = path\n", "    addressing_style = path\nca_bundle = /etc/snow ca.pem\n", 1),
		},
		{
			name:  "create a section after one blank line",
			in:    "[a]\nk = v\n",
			edit:  func(d *Doc) error { return d.Set("profile snow", "region", "snow") },
			want:  "[a]\nk = v\n\n[profile snow]\nregion = snow\n",
			check: [3]string{"profile snow", "region", "snow"},
		},
		{
			name: "create a section after an existing blank line",
			in:   "[a]\nk = v\n\n",
			edit: func(d *Doc) error { return d.Set("b", "k", "v") },
			want: "[a]\nk = v\n\n[b]\nk = v\n",
		},
		{
			name: "create in an empty file",
			in:   "",
			edit: func(d *Doc) error { return d.Set("snow", "aws_access_key_id", "AKIDEXAMPLE") },
			want: "[snow]\naws_access_key_id = AKIDEXAMPLE\n",
		},
		{
			name: "missing final newline stays missing on append",
			in:   "[a]\nk = v",
			edit: func(d *Doc) error { return d.Set("a", "x", "1") },
			want: "[a]\nk = v\nx = 1",
		},
		{
			name: "missing final newline stays missing on replace",
			in:   "[a]\nk = v",
			edit: func(d *Doc) error { return d.Set("a", "k", "w") },
			want: "[a]\nk = w",
		},
		{
			name: "missing final newline stays missing on create",
			in:   "# only a comment",
			edit: func(d *Doc) error { return d.Set("a", "k", "v") },
			want: "# only a comment\n\n[a]\nk = v",
		},
		{
			name:  "CRLF file gets CRLF lines",
			in:    "[a]\r\nk = v\r\n",
			edit:  func(d *Doc) error { return d.Set("b", "k", "v") },
			want:  "[a]\r\nk = v\r\n\r\n[b]\r\nk = v\r\n",
			check: [3]string{"b", "k", "v"},
		},
		{
			name: "CRLF append inside a section",
			in:   "[a]\r\nk = v\r\n\r\n[c]\r\n",
			edit: func(d *Doc) error { return d.Set("a", "x", "1") },
			want: "[a]\r\nk = v\r\nx = 1\r\n\r\n[c]\r\n",
		},
		{
			name: "byte-order mark kept",
			in:   "\ufeff[a]\nk = v\n",
			edit: func(d *Doc) error { return d.Set("a", "k", "w") },
			want: "\ufeff[a]\nk = w\n",
		},
		{
			name:  "duplicate sections: earlier copy of the key removed, last replaced",
			in:    "[a]\nk = 1\nj = 0\n[b]\nx=1\n[a]\nk = 2\n",
			edit:  func(d *Doc) error { return d.Set("a", "k", "3") },
			want:  "[a]\nj = 0\n[b]\nx=1\n[a]\nk = 3\n",
			check: [3]string{"a", "k", "3"},
		},
		{
			name:  "duplicate key in one section",
			in:    "[a]\nk = 1\nK = 2\n",
			edit:  func(d *Doc) error { return d.Set("a", "k", "3") },
			want:  "[a]\nK = 3\n",
			check: [3]string{"a", "k", "3"},
		},
		{
			name: "header with extra spaces is the same section",
			in:   "[ profile   snow ]\nregion = x\n",
			edit: func(d *Doc) error { return d.Set("profile snow", "region", "snow") },
			want: "[ profile   snow ]\nregion = snow\n",
		},
		{
			name: "setting a key with a nested block replaces the block",
			in:   "[a]\ns3 =\n  addressing_style = path\nk = v\n",
			edit: func(d *Doc) error { return d.Set("a", "s3", "x") },
			want: "[a]\ns3 = x\nk = v\n",
		},
		{
			name: "same value is no change",
			in:   "[a]\nk  =  v\n",
			edit: func(d *Doc) error { return d.Set("a", "k", "v") },
			want: "[a]\nk  =  v\n",
		},
		{
			name: "nested: replace in place",
			in:   servicesFile,
			edit: func(d *Doc) error {
				return d.SetNested("services snow", "sts", "endpoint_url", "http://192.0.2.10:7078")
			},
			want: strings.Replace(servicesFile, "http://192.0.2.1:7078", "http://192.0.2.10:7078", 1),
		},
		{
			name: "nested: new child under an existing parent takes its sibling's indent",
			in:   servicesFile,
			edit: func(d *Doc) error {
				return d.SetNested("services snow", "s3", "endpoint_url", "http://192.0.2.10:8080")
			},
			want: strings.Replace(servicesFile, "\taddressing_style = path\n", "\taddressing_style = path\n\tendpoint_url = http://192.0.2.10:8080\n", 1),
		},
		{
			name: "nested: new parent appended to the section",
			in:   servicesFile,
			edit: func(d *Doc) error {
				return d.SetNested("services snow", "iam", "endpoint_url", "http://192.0.2.10:6078")
			},
			want: strings.Replace(servicesFile, "\taddressing_style = path\n", "\taddressing_style = path\niam =\n  endpoint_url = http://192.0.2.10:6078\n", 1),
		},
		{
			name: "nested: scalar parent becomes a block",
			in:   "[s]\nsts = nonsense\nx = 1\n",
			edit: func(d *Doc) error { return d.SetNested("s", "sts", "endpoint_url", "http://h:7078") },
			want: "[s]\nsts =\n  endpoint_url = http://h:7078\nx = 1\n",
		},
		{
			name: "nested: new section",
			in:   "",
			edit: func(d *Doc) error {
				if err := d.SetNested("services snow", "sts", "endpoint_url", "http://h:7078"); err != nil {
					return err
				}
				return d.SetNested("services snow", "iam", "endpoint_url", "http://h:6078")
			},
			want: "[services snow]\nsts =\n  endpoint_url = http://h:7078\niam =\n  endpoint_url = http://h:6078\n",
		},
		{
			name: "delete a key and its nested block",
			in:   servicesFile,
			edit: func(d *Doc) error { return d.Delete("services snow", "s3") },
			want: strings.Replace(servicesFile, "s3 =\n\taddressing_style = path\n", "", 1),
		},
		{
			name: "delete a nested key",
			in:   servicesFile,
			edit: func(d *Doc) error { return d.DeleteNested("services snow", "sts", "endpoint_url") },
			want: strings.Replace(servicesFile, "  endpoint_url = http://192.0.2.1:7078\n", "", 1),
		},
		{
			name: "delete a missing key is no change",
			in:   servicesFile,
			edit: func(d *Doc) error { return d.Delete("services snow", "nope") },
			want: servicesFile,
		},
		{
			name: "delete a middle section keeps the next section's comment",
			in:   servicesFile,
			edit: func(d *Doc) error { return d.DeleteSection("services snow") },
			want: strings.Replace(servicesFile, "[services snow]\nsts =\n  endpoint_url = http://192.0.2.1:7078\ns3 =\n\taddressing_style = path\n\n", "", 1),
		},
		{
			name: "delete the last section removes the blank line before it",
			in:   "[a]\nk = v\n\n[b]\nx_snowsts_managed = true\nk = v\n",
			edit: func(d *Doc) error { return d.DeleteSection("b") },
			want: "[a]\nk = v\n",
		},
		{
			name: "delete both copies of a duplicated section",
			in:   "[b]\nk = 1\n\n[a]\nk = v\n\n[b]\nk = 2\n",
			edit: func(d *Doc) error { return d.DeleteSection("b") },
			want: "[a]\nk = v\n",
		},
		{
			name: "delete the only section",
			in:   "[b]\nk = 1\n",
			edit: func(d *Doc) error { return d.DeleteSection("b") },
			want: "",
		},
		{
			name:  "mark managed",
			in:    "[snow]\naws_access_key_id = AKID\n",
			edit:  func(d *Doc) error { return d.MarkManaged("snow") },
			want:  "[snow]\naws_access_key_id = AKID\nx_snowsts_managed = true\n",
			check: [3]string{"snow", "x_snowsts_managed", "true"},
		},
		{
			name:  "default profile",
			in:    servicesFile,
			edit:  func(d *Doc) error { return d.Set(ConfigSection("default"), "region", "snow") },
			want:  strings.Replace(servicesFile, "region=us-west-2", "region=snow", 1),
			check: [3]string{"default", "region", "snow"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := tt.edit(d); err != nil {
				t.Fatalf("edit: %v", err)
			}
			got := string(d.Bytes())
			if got != tt.want {
				t.Fatalf("got:\n%q\nwant:\n%q", got, tt.want)
			}
			if tt.check[0] != "" {
				v, ok := iniValue(t, d.Bytes(), tt.check[0], tt.check[1])
				if !ok || v != tt.check[2] {
					t.Fatalf("ini.v1 reads [%s] %s = %q (%v), want %q", tt.check[0], tt.check[1], v, ok, tt.check[2])
				}
			}
			// The edited Doc and a fresh parse of its bytes agree.
			again, err := Parse(d.Bytes())
			if err != nil {
				t.Fatalf("re-parse: %v", err)
			}
			if strings.Join(again.Sections(), "|") != strings.Join(d.Sections(), "|") {
				t.Fatalf("sections differ after re-parse: %v vs %v", again.Sections(), d.Sections())
			}
		})
	}
}

func TestReadServicesFile(t *testing.T) {
	d, err := Parse([]byte(servicesFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(d.Sections(), "|"), "default|profile snow|services snow|profile other"; got != want {
		t.Errorf("Sections = %q, want %q", got, want)
	}
	for _, c := range []struct{ section, key, want string }{
		{"default", "region", "us-west-2"},
		{"default", "OUTPUT", "json"},
		{"profile snow", "services", "snow"},
		{"profile snow", "s3", ""},
	} {
		if v, ok := d.Get(c.section, c.key); !ok || v != c.want {
			t.Errorf("Get(%q, %q) = %q, %v; want %q", c.section, c.key, v, ok, c.want)
		}
	}
	if v, ok := d.GetNested("services snow", "sts", "endpoint_url"); !ok || v != "http://192.0.2.1:7078" {
		t.Errorf("GetNested sts = %q, %v", v, ok)
	}
	if v, ok := d.GetNested("services snow", "s3", "addressing_style"); !ok || v != "path" {
		t.Errorf("GetNested s3 = %q, %v", v, ok)
	}
	if _, ok := d.GetNested("services snow", "iam", "endpoint_url"); ok {
		t.Error("GetNested iam found a value")
	}
	if _, ok := d.Get("profile snow", "addressing_style"); ok {
		t.Error("a nested key is visible as a top-level key")
	}
	keys := d.Keys("default")
	if len(keys) != 2 || keys["region"] != "us-west-2" || keys["output"] != "json" {
		t.Errorf("Keys(default) = %v", keys)
	}
	if !d.Has("profile other") || d.Has("other") {
		t.Error("Has is wrong")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line int
	}{
		{"unclosed header", "[a]\nk = v\n[profile snow\nregion = snow\n", 3},
		{"empty header", "# c\n[]\n", 2},
		{"key before any section", "# c\naws_secret_access_key = SECRET\n[a]\n", 2},
		{"line without delimiter", "[a]\nk = v\nSECRETSECRET\n", 3},
		{"empty key name", "[a]\n= SECRET\n", 2},
		{"multi-line quoted value", "[a]\nk = \"\"\"SECRET\nmore\"\"\"\n", 2},
		{"unclosed quoted key", "[a]\n\"SECRET = 1\n", 2},
		{"UTF-16", "\xff\xfe[\x00a\x00]\x00", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatal("Parse accepted a malformed file")
			}
			if exitcode.Of(err) != exitcode.Config {
				t.Errorf("exit code %d, want %d", exitcode.Of(err), exitcode.Config)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line {
				t.Errorf("error %q does not name line %d", err, tt.line)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks a value: %q", err)
			}
			if exitcode.HintOf(err) == "" {
				t.Error("no hint")
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for name, in := range map[string]string{
		"comments only":        "# a\n; b\n",
		"empty":                "",
		"blank lines":          "\n\n\r\n",
		"header trailing text": "[a] ; comment\nk = v\n",
		"quoted value":         "[a]\nk = \"v # not a comment\"\n",
		"inline hash kept":     "[a]\nk = v # part of the value\n",
		"backslash end":        "[a]\nk = C:\\dir\\\nj = 1\n",
		"indented header":      "[a]\nk = v\n  [b]\n  x = 1\n",
		"no final newline":     "[a]\nk = v",
		"nested with blank":    "[a]\ns3 =\n  x = 1\n\n  y = 2\n",
	} {
		t.Run(name, func(t *testing.T) {
			d, err := Parse([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if string(d.Bytes()) != in {
				t.Fatalf("Bytes() = %q, want the input %q", d.Bytes(), in)
			}
		})
	}
	d, _ := Parse([]byte("[a]\nk = v # part of the value\nq = \"x\"\n"))
	if v, _ := d.Get("a", "k"); v != "v # part of the value" {
		t.Errorf("inline '#' was cut: %q", v)
	}
	if v, _ := d.Get("a", "q"); v != `"x"` {
		t.Errorf("quotes were stripped: %q", v)
	}
	d, _ = Parse([]byte("[a]\nk = v\n  [b]\n  x = 1\n"))
	if v, ok := d.Get("b", "x"); !ok || v != "1" {
		t.Errorf("indented header after a scalar is a section for ini.v1: got %q %v", v, ok)
	}
	d, _ = Parse([]byte("[a]\ns3 =\n  x = 1\n\n  y = 2\n"))
	if v, ok := d.GetNested("a", "s3", "y"); !ok || v != "2" {
		t.Errorf("nested block across a blank line: got %q %v", v, ok)
	}
}

func TestSetRefusesBadInput(t *testing.T) {
	tests := []struct {
		name                string
		section, key, value string
	}{
		{"newline in value", "a", "k", "v\nx = SECRET"},
		{"carriage return in value", "a", "k", "v\rSECRET"},
		{"tab in value", "a", "k", "v\tSECRET"},
		{"NUL in value", "a", "k", "v\x00SECRET"},
		{"empty value", "a", "k", ""},
		{"leading space", "a", "k", " SECRET"},
		{"trailing space", "a", "k", "SECRET "},
		{"no-break space", "a", "k", "SECRET\u00a0"},
		{"backtick quote", "a", "k", "`SECRET"},
		{"triple quote", "a", "k", `"""SECRET`},
		{"invalid UTF-8", "a", "k", "SECRET\xff"},
		{"= in key", "a", "k=j", "v"},
		{": in key", "a", "k:j", "v"},
		{"space in key", "a", "k j", "v"},
		{"empty key", "a", "", "v"},
		{"comment key", "a", "#k", "v"},
		{"bracket in section", "a]", "k", "v"},
		{"newline in section", "a\nb", "k", "v"},
		{"empty section", "", "k", "v"},
		{"padded section", " a", "k", "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const in = "[a]\nk = old\n"
			d, _ := Parse([]byte(in))
			for _, err := range []error{
				d.Set(tt.section, tt.key, tt.value),
				d.SetNested(tt.section, tt.key, "endpoint_url", tt.value),
			} {
				if err == nil {
					t.Fatal("accepted")
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error %v is not ErrInvalid", err)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("error leaks the value: %q", err)
				}
			}
			if string(d.Bytes()) != in {
				t.Errorf("doc changed: %q", d.Bytes())
			}
		})
	}
}

func TestEditRefusedWhenForeignLinesWouldChangeMeaning(t *testing.T) {
	// After a scalar value an indented header is a real section for ini.v1; turning
	// the scalar into a nested parent would swallow section [b].
	const in = "[a]\nsts = 1\n  [b]\n  x = 1\n"
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	err = d.SetNested("a", "sts", "endpoint_url", "http://h:7078")
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("want a refusal naming line 3, got %v", err)
	}
	if string(d.Bytes()) != in {
		t.Fatalf("doc changed: %q", d.Bytes())
	}
	if v, _ := d.Get("b", "x"); v != "1" {
		t.Fatal("doc state damaged")
	}
}

func TestEditRefusedWhenAWSCLIContinuationWouldMove(t *testing.T) {
	// For the AWS CLI "  services = y" continues the value of the key above it;
	// deleting that key would hand the line to "region".
	const in = "[a]\nregion = x\nk = v\n  services = y\n"
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Delete("a", "k"); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("want a refusal naming line 4, got %v", err)
	}
	if string(d.Bytes()) != in {
		t.Fatalf("doc changed: %q", d.Bytes())
	}
	// Appending after it is fine.
	if err := d.Set("a", "output", "json"); err != nil {
		t.Fatal(err)
	}
	if got := string(d.Bytes()); got != in+"output = json\n" {
		t.Fatalf("got %q", got)
	}
}

func TestPathsFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Paths
	}{
		{"defaults", nil, Paths{"/h/.aws/config", "/h/.aws/credentials"}},
		{"env", map[string]string{"AWS_CONFIG_FILE": "/x/c", "AWS_SHARED_CREDENTIALS_FILE": "/x/k"}, Paths{"/x/c", "/x/k"}},
		{"tilde", map[string]string{"AWS_CONFIG_FILE": "~/c"}, Paths{"/h/c", "/h/.aws/credentials"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PathsFromEnv(func(k string) string { return tt.env[k] }, "/h")
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestConfigSection(t *testing.T) {
	if ConfigSection("default") != "default" || ConfigSection("snow") != "profile snow" {
		t.Fatal("ConfigSection is wrong")
	}
}

// TestLongLines: a line's length has 24 bits in the line model; longer lines
// are refused, by Parse and by edits, and a refused edit changes nothing.
func TestLongLines(t *testing.T) {
	long := strings.Repeat("x", maxLine+1)
	if _, err := Parse([]byte("[a]\nk = v\n" + long + "\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("Parse of a long line: %v, want an error on line 3", err)
	}
	in := "[a]\nk = v\n"
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set("a", "k", long); !errors.Is(err, ErrInvalid) {
		t.Errorf("Set of a long value: %v, want ErrInvalid", err)
	}
	if got := string(d.Bytes()); got != in {
		t.Errorf("refused edit changed the doc: %q", got)
	}
	fits := strings.Repeat("y", maxLine-len("k = "))
	if err := d.Set("a", "k", fits); err != nil {
		t.Errorf("Set of the longest value that fits: %v", err)
	}
	if v, _ := d.Get("a", "k"); v != fits {
		t.Errorf("Get after Set: %d bytes, want %d", len(v), len(fits))
	}
}

// TestParseChunks: a big file read in chunks at once reads as it does in one
// piece, line by line, and a malformed line is reported with the same number
// wherever it falls.
func TestParseChunks(t *testing.T) {
	// Lines whose reading depends on what comes before them: nested
	// blocks, indented headers and keys, CRLF, comments, blank lines.
	unit := "[profile a]\nregion = x\ns3 =\n  addressing_style = path\n\n  [not a header]\n" +
		"[ b  c ]\r\nk=v\r\n\tindented = 1\r\n# c\n; c\n\n[d]\nsts =\n  endpoint_url = http://h\n" +
		"empty =\n- = dash\n`q`: 1\nk = \"\"\"x\"\"\"\n"
	big := strings.Repeat(unit, 3*chunkMin/len(unit)+7)
	for _, tt := range []struct {
		name string
		data string
	}{
		{"big file", big},
		{"without a final newline", big + "[z]\nk = v"},
		{"with a byte-order mark", "\ufeff" + big},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if b := chunkBounds(tt.data, 4); len(b) < 4 {
				t.Fatalf("%d chunks, want several", len(b)-1)
			}
			one, err := parseChunks(tt.data, 1)
			if err != nil {
				t.Fatal(err)
			}
			many, err := parseChunks(tt.data, 4)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(one.lines, many.lines) || !slices.Equal(one.index().heads, many.index().heads) {
				t.Fatal("chunks read the file differently")
			}
			if !bytes.Equal(many.Bytes(), []byte(tt.data)) {
				t.Fatal("Bytes does not round-trip")
			}
		})
	}
	n := strings.Count(big, "\n")
	for _, at := range []int{n / 5, n / 2, n - 3} {
		t.Run(fmt.Sprintf("error at line %d", at+1), func(t *testing.T) {
			lines := strings.SplitAfter(big, "\n")
			lines[at] = "no delimiter\n"
			lines[n-1] = "[unclosed\n" // a later error in another chunk
			data := strings.Join(lines, "")
			for _, chunks := range []int{1, 4} {
				_, err := parseChunks(data, chunks)
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Line != at+1 {
					t.Errorf("%d chunks: %v, want an error on line %d", chunks, err, at+1)
				}
			}
		})
	}
}
