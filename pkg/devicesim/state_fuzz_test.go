package devicesim

import (
	"encoding/json"
	"reflect"
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
			for _, u := range loose.Users {
				// A secret that is also the user's name or key id may appear as those.
				if strings.Contains(u.Name, u.Secret) || strings.Contains(u.KeyID, u.Secret) {
					continue
				}
				if len(u.Secret) >= 8 && strings.Contains(err.Error(), u.Secret) {
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
