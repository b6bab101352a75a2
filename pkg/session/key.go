package session

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Key identifies one session: which device, which long-term key, which role, under which
// session name and for how long. Two invocations with equal keys share a cache entry.
type Key struct {
	Endpoint    string // the device's STS endpoint URL
	AccessKeyID string // the device's long-term access key id; only its fingerprint is stored
	// SecretAccessKey, when set, is mixed into the fingerprint, so that a
	// profile whose secret is wrong or was changed never shares a session
	// with the right one. It is never stored.
	SecretAccessKey string
	RoleARN         string
	SessionName     string
	DurationSeconds int32
}

// KeyInfo is the stored, secret-free form of a Key: the access key id is replaced by its
// fingerprint. It is what a cache file records, so that `status` can show it and a reader
// can check that the file it opened belongs to the key it asked for.
type KeyInfo struct {
	Endpoint             string `json:"Endpoint"`
	AccessKeyFingerprint string `json:"AccessKeyFingerprint"`
	RoleARN              string `json:"RoleArn"`
	SessionName          string `json:"RoleSessionName"`
	DurationSeconds      int32  `json:"DurationSeconds"`
}

// KeyFingerprint returns a short, stable, one-way fingerprint of an access key id (the
// first 16 hex digits of sha256("snowsts-key:"+id)), used in place of the id wherever a
// key must be recognised without being revealed.
func KeyFingerprint(accessKeyID string) string {
	var stack [128]byte
	b := append(append(stack[:0], "snowsts-key:"...), accessKeyID...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// credentialFingerprint is KeyFingerprint of the id, or, with a secret, the
// same digest over the id and the secret together.
func credentialFingerprint(id, secret string) string {
	if secret == "" {
		return KeyFingerprint(id)
	}
	var stack [256]byte
	b := append(append(append(append(stack[:0], "snowsts-key:"...), id...), 0), secret...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Info returns the secret-free form of k.
func (k Key) Info() KeyInfo {
	return KeyInfo{
		Endpoint:             k.Endpoint,
		AccessKeyFingerprint: credentialFingerprint(k.AccessKeyID, k.SecretAccessKey),
		RoleARN:              k.RoleARN,
		SessionName:          k.SessionName,
		DurationSeconds:      k.DurationSeconds,
	}
}

// ID returns the cache id of k: 32 lowercase hex digits, safe as a file name, equal for
// equal keys and never containing the access key id. It equals k.Info().ID().
func (k Key) ID() string { return k.Info().ID() }

// idLen is the length of an id: 128 bits of sha256 in hex.
const idLen = 32

// ID returns the cache id of the key ki describes; see Key.ID. Because it is computed
// from the fingerprint, an entry found by List can be addressed without the access key id.
func (ki KeyInfo) ID() string {
	var stack [512]byte
	b := append(stack[:0], "snowsts-session-v1\x00"...)
	// Length-prefix each field so that no two different keys encode the same bytes.
	for _, s := range [...]string{ki.Endpoint, ki.AccessKeyFingerprint, ki.RoleARN, ki.SessionName} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(ki.DurationSeconds))
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:idLen/2])
}

// isID reports whether s has the shape of an id.
func isID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
