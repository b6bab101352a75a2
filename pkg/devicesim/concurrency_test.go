package devicesim

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestParallelRequests runs 300 clients at once, mixing AssumeRole, IAM calls
// with the credentials just issued, and fault changes on the control path, so
// that -race sees every shared structure used concurrently.
func TestParallelRequests(t *testing.T) {
	f := newFixture(t, nil)
	const n = 300
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	cfg := sdkConfig("snow", f.operator())
	cfg.HTTPClient = httpClient
	stsc := f.sts(cfg)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			switch i % 10 {
			case 9:
				_ = f.dev.SetFaults(Faults{})
				_ = f.dev.Faults()
				_ = f.dev.State()
				return
			}
			out, err := stsc.AssumeRole(ctx(t), &sts.AssumeRoleInput{
				RoleArn:         aws.String(f.dev.RoleARNs()[i%3]),
				RoleSessionName: aws.String(fmt.Sprintf("parallel-%d", i)),
			})
			if err != nil {
				errs <- fmt.Errorf("AssumeRole %d: %w", i, err)
				return
			}
			c := out.Credentials
			icfg := sdkConfig("snow", static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
			icfg.HTTPClient = httpClient
			if _, err := f.iam(icfg).ListRoles(ctx(t), &iam.ListRolesInput{}); err != nil {
				errs <- fmt.Errorf("ListRoles %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := int64(n - n/10)
	if got := f.dev.Calls(ActionAssumeRole); got != want {
		t.Errorf("Calls(AssumeRole) = %d, want %d", got, want)
	}
	if got := f.dev.AssumeRoleIssued(); got != want {
		t.Errorf("AssumeRoleIssued = %d, want %d", got, want)
	}
	if got := f.dev.Calls(ActionListRoles); got != want {
		t.Errorf("Calls(ListRoles) = %d, want %d", got, want)
	}
}
