package session

import (
	"bytes"
	"encoding/json"
	"errors"
)

// processOutput is the credential_process JSON document, fields in the documented order.
type processOutput struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// ProcessOutput renders c as the one-line JSON document a credential_process prints:
//
//	{"Version":1,"AccessKeyId":"…","SecretAccessKey":"…","SessionToken":"…","Expiration":"2026-12-04T16:05:00Z"}
//
// followed by a newline; Expiration in UTC without fraction. It refuses incomplete
// credentials, since the SDKs would reject them less clearly.
func ProcessOutput(c Credentials) ([]byte, error) {
	switch {
	case c.AccessKeyID == "", c.SecretAccessKey == "":
		return nil, errors.New("render credential_process output: incomplete credentials")
	case c.Expiration.IsZero():
		return nil, errors.New("render credential_process output: no expiration")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(processOutput{
		Version:         1,
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Expiration:      formatTime(c.Expiration),
	}); err != nil {
		return nil, errors.New("render credential_process output: encode failed")
	}
	return buf.Bytes(), nil
}
