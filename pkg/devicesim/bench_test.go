package devicesim

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func benchClient(b *testing.B, f *fixture) *sts.Client {
	cfg := sdkConfig("snow", f.operator())
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return f.sts(cfg)
}

// BenchmarkAssumeRoleSerial is one Go SDK client calling AssumeRole in a loop.
func BenchmarkAssumeRoleSerial(b *testing.B) {
	f := newFixture(b, nil)
	c := benchClient(b, f)
	in := &sts.AssumeRoleInput{RoleArn: aws.String(f.dev.RoleARNs()[0]), RoleSessionName: aws.String("bench")}
	bctx := b.Context()
	for b.Loop() {
		if _, err := c.AssumeRole(bctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkAssumeRoleParallel32 is 32 concurrent Go SDK clients sharing b.N
// AssumeRole calls.
func BenchmarkAssumeRoleParallel32(b *testing.B) {
	f := newFixture(b, nil)
	c := benchClient(b, f)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	bctx := b.Context()
	b.ResetTimer()
	for w := range 32 {
		wg.Go(func() {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(f.dev.RoleARNs()[0]), RoleSessionName: aws.String(fmt.Sprintf("bench-%d", w))}
			for next.Add(1) <= int64(b.N) {
				if _, err := c.AssumeRole(bctx, in); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
