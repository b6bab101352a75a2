package devicesim

import (
	"errors"
	"time"
)

// Faults are failures the simulated device can be told to show, in the state
// file under "faults", with SetFaults, or at run time through the control path
// (POST /_snowsts/faults). They apply to STS and IAM requests only, never to the
// control path.
//
// Latency, ClockSkew and HostileCredentials hold until changed. The counters are consumed one per
// request: each STS/IAM request takes at most one counted fault, checked in the
// order Drop, Throttle, ServerError, Malformed, Truncate, and that counter goes
// down by one.
type Faults struct {
	// Latency delays every reply.
	Latency Duration `json:"latency,omitzero"`
	// Throttle: the next N requests get 400 Throttling "Rate exceeded".
	Throttle int `json:"throttle,omitzero"`
	// ServerError: the next N requests get 500 InternalFailure.
	ServerError int `json:"server_error,omitzero"`
	// Malformed: the next N requests are not served (nothing is issued) and
	// get 200 with a body that is not well-formed XML.
	Malformed int `json:"malformed,omitzero"`
	// Truncate: the next N requests are served normally (credentials are
	// issued and counted) but the body is cut in half and the connection
	// closed, against the announced Content-Length.
	Truncate int `json:"truncate,omitzero"`
	// Drop: the next N requests get no reply; the connection is closed.
	Drop int `json:"drop,omitzero"`
	// ClockSkew moves the device clock: Date headers, the 15-minute
	// RequestExpired window and the Expiration of issued credentials.
	ClockSkew Duration `json:"clock_skew,omitzero"`
	// HostileCredentials, while set, goes into the middle of the
	// SecretAccessKey and the SessionToken of every credentials AssumeRole
	// issues, byte for byte (shell metacharacters, quotes, control
	// characters...), so that tests can check what a client does with a
	// hostile device's reply. The issued credentials still sign requests.
	HostileCredentials string `json:"hostile_credentials,omitzero"`
}

// maxHostile bounds HostileCredentials.
const maxHostile = 4096

// fault is the one counted fault a request gets.
type fault int

const (
	faultNone fault = iota
	faultDrop
	faultThrottle
	faultServerError
	faultMalformed
	faultTruncate
)

func (f Faults) validate() error {
	if f.Latency < 0 {
		return errors.New("latency must not be negative")
	}
	if time.Duration(f.Latency) > 10*time.Minute {
		return errors.New("latency must be at most 10m")
	}
	if f.Throttle < 0 || f.ServerError < 0 || f.Malformed < 0 || f.Truncate < 0 || f.Drop < 0 {
		return errors.New("counts must not be negative")
	}
	if len(f.HostileCredentials) > maxHostile {
		return errors.New("hostile_credentials must be at most 4096 bytes")
	}
	return nil
}

// take consumes one counted fault, in the documented order. The caller holds
// the device's lock.
func (f *Faults) take() fault {
	for _, c := range []struct {
		n    *int
		kind fault
	}{
		{&f.Drop, faultDrop},
		{&f.Throttle, faultThrottle},
		{&f.ServerError, faultServerError},
		{&f.Malformed, faultMalformed},
		{&f.Truncate, faultTruncate},
	} {
		if *c.n > 0 {
			*c.n--
			return c.kind
		}
	}
	return faultNone
}
