package broker

import (
	"time"

	"github.com/snowsts/snowsts/pkg/awsfile"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/profile"
)

// Warm serves role r on device profile name from the session cache alone,
// while it has more than minRemaining left; ok is false on any miss. It is the
// warm path of credential-process, which the AWS CLI and SDKs run often and in
// parallel: it reads the two shared files with pkg/awsfile's parser instead of
// the SDK's loader, builds no SDK client, reads no CA bundle, takes no lock,
// writes nothing and prunes nothing. On a miss the caller goes through
// LoadDevice and Get, which check the profile properly and report what is
// wrong with it; Warm never reports errors.
//
// The cache key is computed as LoadDevice would see the profile: the access
// key id from the credentials file (else the config file's profile section),
// the STS endpoint_url from the profile's services section. A profile Warm
// reads differently from the SDK only makes a miss. The returned Session's
// Device has the profile's name, region, services, endpoints, ca_bundle and
// access key id, but never the secret access key (which is part of the
// cache key only through a one-way fingerprint).
func (b *Broker) Warm(name string, r profile.Role, minRemaining time.Duration) (*Session, bool) {
	p, ok := b.peekDevice(name)
	if !ok {
		return nil, false
	}
	e, ok := b.Cache.Get(key(p, r), minRemaining)
	p.SecretAccessKey = ""
	if !ok {
		return nil, false
	}
	return sessionOf(p, r, e, "cache"), true
}

// peekDevice reads device profile name as LoadDevice does, without checking
// it: ok is false when a file cannot be read or parsed or the profile lacks
// what a cache key needs.
func (b *Broker) peekDevice(name string) (*device.Profile, bool) {
	cfg, err := awsfile.Load(b.Paths.Config)
	if err != nil {
		return nil, false
	}
	creds, err := awsfile.Load(b.Paths.Credentials)
	if err != nil {
		return nil, false
	}
	p, ok := device.ProfileFrom(cfg, creds, name)
	if !ok || (p.Region != "" && p.Region != device.Region) || p.AccessKeyID == "" || p.Endpoints["sts"] == "" {
		return nil, false
	}
	return p, true
}
