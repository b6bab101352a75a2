// Package doctor diagnoses why snowsts cannot reach or use a Snowball Edge
// device: the device profile, the permissions of the files holding secrets,
// every configured service port, the protocol and certificate on each, the
// clock difference with the device, the device's view of the keys and,
// optionally, a real AssumeRole. Each check gives one result with a fix for
// the operator. It contacts nothing but the profile's endpoints.
//
// The run is bounded so that it ends in under ten seconds even when every
// port silently drops packets: ports are dialled at once with a two-second
// timeout, the protocol, certificate and clock probes run at once with
// another two seconds, and the calls to the device share four more.
package doctor

import (
	"context"
	"time"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

// Status is the outcome of one check.
type Status int

// The outcomes, from best to worst. Warn passes.
const (
	OK Status = iota
	Skip
	Warn
	Fail
)

// Mark is the four-character mark doctor prints for s.
func (s Status) Mark() string {
	switch s {
	case OK:
		return "ok  "
	case Skip:
		return "skip"
	case Warn:
		return "warn"
	default:
		return "FAIL"
	}
}

// Result is one check's outcome: one line of detail and, unless it passed,
// what the operator should do.
type Result struct {
	Check  string // e.g. "profile", "port sts", "tls sts", "clock"
	Status Status
	Detail string
	Fix    string
	// Code is the contract's exit code class of a failure (3 config,
	// 4 refused, 5 unreachable).
	Code int
}

// Options say what to check.
type Options struct {
	Files    device.Files
	Profile  string
	CacheDir string
	// RoleARN, when set, makes doctor call AssumeRole for real with
	// SessionName and DurationSeconds (validated by the caller).
	RoleARN         string
	SessionName     string
	DurationSeconds int
	// PortTimeout bounds each TCP connect and each probe (default 2 s).
	PortTimeout time.Duration
	// CallTimeout bounds the calls to the device (default 4 s).
	CallTimeout time.Duration
	// Warn receives warnings from the device client (a pinned certificate).
	Warn func(string)
	// Now is the local clock (default time.Now).
	Now func() time.Time
}

// Skew thresholds: a device clock further off than WarnSkew gets a warning,
// further than FailSkew a failure. The device refuses requests signed more
// than 15 minutes off; snowsts corrects that by one retry, other tools may not.
const (
	WarnSkew = time.Minute
	FailSkew = 5 * time.Minute
)

// ExitCode is the code of the first failing result, or 0 when none failed.
func ExitCode(results []Result) int {
	for _, r := range results {
		if r.Status == Fail {
			if r.Code == 0 {
				return exitcode.Failure
			}
			return r.Code
		}
	}
	return exitcode.OK
}

// Run runs every check in order and returns their results. Later checks that
// depend on a failed one are skipped with the reason.
func Run(ctx context.Context, o Options) []Result {
	if o.PortTimeout <= 0 {
		o.PortTimeout = 2 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 4 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var out []Result
	p, res := checkProfile(ctx, o)
	out = append(out, res...)
	out = append(out, checkPermissions(o)...)
	if p == nil {
		return out
	}
	bundle, res := checkBundle(p, o.Now())
	out = append(out, res...)

	targets := endpoints(p)
	dialPorts(ctx, targets, o.PortTimeout)
	for _, t := range targets {
		out = append(out, t.portResult())
	}
	probe(ctx, targets, p, bundle, o)
	for _, t := range targets {
		out = append(out, t.protocolResult(p, bundle))
	}
	sts := find(targets, "sts")
	out = append(out, clockResult(sts))
	out = append(out, deviceCalls(ctx, p, targets, o)...)
	return out
}

func find(ts []*target, svc string) *target {
	for _, t := range ts {
		if t.service == svc {
			return t
		}
	}
	return nil
}
