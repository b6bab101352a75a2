package devicesim

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// testState is a device with two users: "operator" may assume every role,
// "limited" only admin.
func testState() *State {
	return &State{
		AccountID: "123456789012",
		Users: []User{
			{Name: "operator", AccessKeyID: "AKIAOPERATOR00000001", SecretAccessKey: "operatorSecretKey0000000000000000000000000", CanAssume: []string{"*"}},
			{Name: "limited", AccessKeyID: "AKIALIMITED000000001", SecretAccessKey: "limitedSecretKey00000000000000000000000000", CanAssume: []string{"admin"}},
		},
		Roles: []Role{
			{Name: "admin", Path: "/", MaxSessionDuration: 3600},
			{Name: "operator", Path: "/", MaxSessionDuration: 43200},
			{Name: "auditor", Path: "/ops/", MaxSessionDuration: 3600},
		},
	}
}

// offsetClock is a clock that runs at real time plus an offset tests can move.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) advance(d time.Duration) { c.off.Add(int64(d)) }

type fixture struct {
	dev   *Device
	srv   *httptest.Server
	clock *offsetClock
	st    *State
}

func newFixture(t testing.TB, st *State) *fixture {
	t.Helper()
	if st == nil {
		st = testState()
	}
	clock := &offsetClock{}
	dev, err := New(st, WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dev)
	t.Cleanup(srv.Close)
	return &fixture{dev: dev, srv: srv, clock: clock, st: st}
}

// sdkConfig is an SDK config for the device with static keys, no retries.
func sdkConfig(region string, creds aws.CredentialsProvider) aws.Config {
	return aws.Config{Region: region, Credentials: creds, RetryMaxAttempts: 1}
}

func static(akid, secret, token string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(akid, secret, token)
}

func (f *fixture) sts(cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(f.srv.URL) })
}

func (f *fixture) iam(cfg aws.Config) *iam.Client {
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(f.srv.URL) })
}

func (f *fixture) operator() aws.CredentialsProvider {
	u := f.st.Users[0]
	return static(u.AccessKeyID, u.SecretAccessKey, "")
}

// errorCode returns the API error code of err, or "" when it has none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
