package devicesim

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParseState feeds arbitrary documents to the state-file parser: it never
// panics, an accepted state makes a device and survives a JSON round trip
// unchanged, and a refusal never quotes a user's secret access key.
func FuzzParseState(f *testing.F) {
	f.Add(`{"account_id":"123456789012","users":[{"name":"operator","access_key_id":"AKIAOPERATOR00000001","secret_access_key":"operatorSecretKey0000","can_assume":["*"]}],"roles":[{"name":"admin","path":"/ops/","max_session_duration":3600}]}`)
	f.Add(`{"account_id":"123456789012","users":[{"name":"u","access_key_id":"AKIAUSER000000000001","secret_access_key":"secret with space here","can_assume":["nosuch"]}],"roles":[],"faults":{"latency":"1s","hostile_credentials":"$(x)"}}`)
	f.Add(`{"account_id":"1","users":[]}`)
	f.Add(`{"account_id":"123456789012","users":[{"name":"u","access_key_id":"ASIAUSER000000000001","secret_access_key":"0123456789abcdef01"}],"roles":[{"name":"r","path":"nope"}]} trailing`)
	f.Fuzz(func(t *testing.T, doc string) {
		st, err := ParseState([]byte(doc))
		if err != nil {
			var loose struct {
				Users []struct {
					Name   string `json:"name"`
					KeyID  string `json:"access_key_id"`
					Secret string `json:"secret_access_key"`
				} `json:"users"`
			}
			_ = json.Unmarshal([]byte(doc), &loose)
			others := otherTexts(doc)
			for _, u := range loose.Users {
				// An error may quote a name, a key id, a field name or any other
				// text of the document: a secret that is part of one of those
				// may appear as that text.
				if len(u.Secret) < 8 || slices.ContainsFunc(others, func(o string) bool { return strings.Contains(o, u.Secret) }) {
					continue
				}
				if strings.Contains(err.Error(), u.Secret) {
					t.Fatalf("error %q quotes a secret", err)
				}
			}
			return
		}
		if _, err := New(st); err != nil {
			t.Fatalf("accepted state makes no device: %v\n%s", err, doc)
		}
		again, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		st2, err := ParseState(again)
		if err != nil {
			t.Fatalf("re-encoded state refused: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(st, st2) {
			t.Fatalf("round trip changed the state:\n%+v\n%+v", st, st2)
		}
	})
}

// otherTexts are the texts of a JSON document other than the values of its
// secret_access_key fields (matched as encoding/json matches field names, in
// any case): object keys, strings and numbers, and whatever follows the first
// value.
func otherTexts(doc string) []string {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return []string{doc} // nothing can be told apart: all of it is other text
	}
	var out []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				out = append(out, k)
				walk(e, k)
			}
		case []any:
			for _, e := range x {
				walk(e, key)
			}
		case string:
			if !strings.EqualFold(key, "secret_access_key") {
				out = append(out, x)
			}
		case json.Number:
			out = append(out, string(x))
		}
	}
	walk(v, "")
	return append(out, doc[min(int(dec.InputOffset()), len(doc)):])
}
