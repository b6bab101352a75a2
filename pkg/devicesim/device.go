// Package devicesim is a simulated AWS Snowball Edge device: an http.Handler
// that answers like the device's STS (AssumeRole only) and local IAM (ListRoles,
// GetRole, ListUsers), so that the real AWS CLI, boto3 and the AWS SDK for Go
// work against it unchanged. It verifies SigV4 with the SDK's own signer, checks
// who may assume which role, issues temporary credentials that expire and are
// accepted back for signing, counts the calls it served and can be told to
// misbehave (latency, throttling, 5xx, broken bodies, dropped connections, a
// skewed clock, credentials full of shell metacharacters) so that clients'
// failure handling can be tested against it.
//
// STS and IAM answer on one listener; a request goes to the service named in
// its SigV4 credential scope (AKID/20261204/snow/sts/aws4_request or
// .../snow/iam/...), and that scope's region must be "snow".
//
// Besides STS and IAM the handler serves an unauthenticated control path for
// tests under /_snowsts/ (a path no STS or IAM request uses):
//
//	GET  /_snowsts/calls        {"calls":{"AssumeRole":3,...},"assume_role_issued":2}
//	POST /_snowsts/reset-calls  zero the counters (204)
//	GET  /_snowsts/faults       the current Faults as JSON
//	POST /_snowsts/faults       replace the Faults with the JSON body (204)
package devicesim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The actions the device serves. Calls counts requests under these names, and
// every other action under ActionUnknown.
const (
	ActionAssumeRole = "AssumeRole"
	ActionListRoles  = "ListRoles"
	ActionGetRole    = "GetRole"
	ActionListUsers  = "ListUsers"
	// ActionUnknown counts requests whose Action is missing or not served.
	ActionUnknown = "Unknown"
)

// ControlPrefix starts the path of the test-only control endpoints.
const ControlPrefix = "/_snowsts/"

// maxBody bounds the size of a request body the device reads.
const maxBody = 1 << 20

// Device is the simulated device. It is safe for concurrent use.
type Device struct {
	clock  func() time.Time
	signer *v4.Signer
	onReq  func(RequestLog)
	st     *State // immutable after New
	born   time.Time

	users   map[string]*User // by access key id
	roles   map[string]*Role // by ARN
	byName  map[string]*Role // by role name
	roleIDs map[string]string

	mu     sync.Mutex
	faults Faults
	temps  map[string]*tempCred // by access key id
	calls  map[string]int64
	issued int64
}

// tempCred is a set of temporary credentials the device issued.
type tempCred struct {
	secret  string
	token   string
	expires time.Time
	user    string
	role    *Role
	session string
}

// RequestLog describes one STS or IAM request the device handled, for a log
// line. It holds no secret.
type RequestLog struct {
	Method  string
	Service string // "sts", "iam" or "" when the request named none
	Action  string
	Status  int    // HTTP status; 0 when the connection was dropped
	Code    string // error code, "" on success, "Dropped", "Malformed" or "Truncated" for those faults
	Latency time.Duration
}

// Option configures a Device.
type Option func(*Device)

// WithClock sets the device's clock (before any clock_skew fault). The default
// is time.Now.
func WithClock(now func() time.Time) Option { return func(d *Device) { d.clock = now } }

// WithRequestLog has fn called once for every STS/IAM request, after its reply
// (or its dropped connection). Control-path requests are not reported.
func WithRequestLog(fn func(RequestLog)) Option { return func(d *Device) { d.onReq = fn } }

// New makes a device from st, which it validates and copies.
func New(st *State, opts ...Option) (*Device, error) {
	if st == nil {
		return nil, fmt.Errorf("new simulated device: no state")
	}
	st = st.clone()
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("new simulated device: %w", err)
	}
	d := &Device{
		clock:   time.Now,
		signer:  v4.NewSigner(),
		st:      st,
		users:   make(map[string]*User, len(st.Users)),
		roles:   make(map[string]*Role, len(st.Roles)),
		byName:  make(map[string]*Role, len(st.Roles)),
		roleIDs: make(map[string]string, len(st.Roles)),
		faults:  st.Faults,
		temps:   make(map[string]*tempCred),
		calls:   make(map[string]int64),
	}
	for _, o := range opts {
		o(d)
	}
	for i := range st.Users {
		d.users[st.Users[i].AccessKeyID] = &st.Users[i]
	}
	for i := range st.Roles {
		r := &st.Roles[i]
		d.roles[r.ARN(st.AccountID)] = r
		d.byName[r.Name] = r
		d.roleIDs[r.Name] = stableID("AROA", st.AccountID+"/role/"+r.Name)
	}
	d.born = d.clock().UTC().Truncate(time.Second)
	return d, nil
}

// State returns a copy of the device's state with its current faults.
func (d *Device) State() *State {
	c := d.st.clone()
	d.mu.Lock()
	c.Faults = d.faults
	d.mu.Unlock()
	return c
}

// RoleARNs returns the ARNs of the device's roles, in state order.
func (d *Device) RoleARNs() []string {
	out := make([]string, len(d.st.Roles))
	for i, r := range d.st.Roles {
		out[i] = r.ARN(d.st.AccountID)
	}
	return out
}

// SetFaults replaces the device's faults.
func (d *Device) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("set faults: %w", err)
	}
	d.mu.Lock()
	d.faults = f
	d.mu.Unlock()
	return nil
}

// Faults returns the device's current faults (with the counters left).
func (d *Device) Faults() Faults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults
}

// Calls returns how many STS/IAM requests for action reached the handler:
// every attempt, refused or faulted ones included (a dropped or throttled
// AssumeRole counts), so tests can assert how many calls a client made.
func (d *Device) Calls(action string) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[action]
}

// AssumeRoleIssued returns how many AssumeRole calls succeeded and issued
// credentials (a Truncate fault still counts: the credentials were issued).
func (d *Device) AssumeRoleIssued() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.issued
}

// ResetCalls zeroes Calls and AssumeRoleIssued.
func (d *Device) ResetCalls() {
	d.mu.Lock()
	d.calls = make(map[string]int64)
	d.issued = 0
	d.mu.Unlock()
}

// Now returns the device clock: the configured clock plus the clock_skew fault.
func (d *Device) Now() time.Time {
	d.mu.Lock()
	skew := time.Duration(d.faults.ClockSkew)
	d.mu.Unlock()
	return d.clock().Add(skew)
}

// Banner is the one JSON line `snowsts simulate` prints once it listens: the
// endpoint, the first user's keys and the role ARNs. Field order is fixed.
type Banner struct {
	Endpoint        string   `json:"Endpoint"`
	AccessKeyID     string   `json:"AccessKeyId"`
	SecretAccessKey string   `json:"SecretAccessKey"`
	Roles           []string `json:"Roles"`
}

// Banner returns the banner for a device reachable at endpoint.
func (d *Device) Banner(endpoint string) Banner {
	u := d.st.Users[0]
	return Banner{Endpoint: endpoint, AccessKeyID: u.AccessKeyID, SecretAccessKey: u.SecretAccessKey, Roles: d.RoleARNs()}
}

// ServeHTTP answers STS and IAM requests, and the control path.
func (d *Device) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, ControlPrefix) {
		d.serveControl(w, r)
		return
	}
	start := time.Now()
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	req := parseRequest(r, body, readErr)
	d.count(req.action)

	d.mu.Lock()
	latency := time.Duration(d.faults.Latency)
	f := d.faults.take()
	d.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	now := d.Now()
	log := RequestLog{Method: clip(r.Method), Service: req.service, Action: clip(req.action)}
	defer func() {
		if d.onReq != nil {
			log.Latency = time.Since(start)
			d.onReq(log)
		}
	}()

	var rep reply
	switch f {
	case faultDrop:
		log.Code = "Dropped"
		dropConnection(w)
		return
	case faultThrottle:
		rep = errorReply(req.service, errThrottling())
	case faultServerError:
		rep = errorReply(req.service, errInternal())
	case faultMalformed:
		rep = reply{status: http.StatusOK, code: "Malformed", body: malformedBody(req.action)}
	default:
		rep = d.handle(r, req, now)
	}
	log.Status, log.Code = rep.status, rep.code
	if f == faultTruncate {
		log.Code = "Truncated"
	}
	writeReply(w, rep, now, f == faultTruncate)
}

func (d *Device) count(action string) {
	switch action {
	case ActionAssumeRole, ActionListRoles, ActionGetRole, ActionListUsers:
	default:
		action = ActionUnknown
	}
	d.mu.Lock()
	d.calls[action]++
	d.mu.Unlock()
}

// handle authenticates req and runs its action.
func (d *Device) handle(r *http.Request, req *request, now time.Time) reply {
	if req.err != nil {
		return errorReply(req.service, req.err)
	}
	p, aerr := d.authenticate(r, req, now)
	if aerr != nil {
		return errorReply(req.service, aerr)
	}
	switch req.service {
	case "sts":
		if v := req.params.Get("Version"); v != stsVersion || req.action != ActionAssumeRole {
			return errorReply(req.service, errInvalidAction(req.action, v))
		}
		return d.assumeRole(p, req.params, now)
	default: // "iam"; authenticate accepts no other service
		v := req.params.Get("Version")
		if v != iamVersion {
			return errorReply(req.service, errInvalidAction(req.action, v))
		}
		switch req.action {
		case ActionListRoles:
			return d.listRoles(req.params)
		case ActionGetRole:
			return d.getRole(req.params)
		case ActionListUsers:
			return d.listUsers(req.params)
		}
		return errorReply(req.service, errInvalidAction(req.action, v))
	}
}

// stableID derives a fixed IAM-style unique ID (prefix + 17 characters) from seed.
func stableID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// ctxOf returns a context for signer calls; the signer only logs with it.
func ctxOf(r *http.Request) context.Context { return r.Context() }

// randomKey returns prefix followed by n random characters of [A-Z0-9].
func randomKey(prefix string, n int) (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	return randomFrom(prefix, alphabet, n)
}

// randomSecret returns a 40-character secret access key.
func randomSecret() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	return randomFrom("", alphabet, 40)
}

// randomFrom draws n characters of alphabet (at most 256 long) with
// crypto/rand, without modulo bias.
func randomFrom(prefix, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	var b strings.Builder
	b.Grow(len(prefix) + n)
	b.WriteString(prefix)
	buf := make([]byte, n+n/2+8)
	for b.Len() < len(prefix)+n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("random key: %w", err)
		}
		for _, c := range buf {
			if int(c) < limit && b.Len() < len(prefix)+n {
				b.WriteByte(alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return b.String(), nil
}
