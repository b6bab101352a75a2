package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/broker"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

func TestStatusTable(t *testing.T) {
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	list := []broker.SessionInfo{
		{Profile: "snow-admin", DeviceProfile: "snow", RoleARN: "arn:aws:iam::123456789012:role/admin", SessionName: "snowsts-op",
			Endpoint: "http://192.0.2.10:7078", Expiration: now.Add(59*time.Minute + 58*time.Second), Source: "profile", Current: true},
		{Profile: "ops", DeviceProfile: "snow", RoleARN: "arn:aws:iam::123456789012:role/ops", SessionName: "s\tx",
			Endpoint: "http://192.0.2.10:7078", Source: "profile"},
		{Profile: "snow", DeviceProfile: "snow", RoleARN: "arn:aws:iam::123456789012:role/admin", SessionName: "snowsts-op",
			Endpoint: "http://192.0.2.10:7078", Expiration: now.Add(-time.Second), Source: "cache"},
	}
	io, out, _ := simTestStreams()
	if err := writeStatusTable(io, list, now); err != nil {
		t.Fatal(err)
	}
	want := `   PROFILE     SOURCE   ROLE                                  SESSION     ENDPOINT                EXPIRES               LEFT
*  snow-admin  profile  arn:aws:iam::123456789012:role/admin  snowsts-op  http://192.0.2.10:7078  2026-12-04T16:59:58Z  59m58s
   ops         profile  arn:aws:iam::123456789012:role/ops    s?x         http://192.0.2.10:7078  -                     no credentials
   snow        cache    arn:aws:iam::123456789012:role/admin  snowsts-op  http://192.0.2.10:7078  2026-12-04T15:59:59Z  expired
`
	if got := out.String(); got != want {
		t.Errorf("table\n%s\nwant\n%s", got, want)
	}
}

func TestStatusJSON(t *testing.T) {
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   broker.SessionInfo
		want statusJSON
	}{
		{name: "live", in: broker.SessionInfo{Profile: "p", Expiration: now.Add(90*time.Second + 500*time.Millisecond), Source: "cache", DurationSeconds: 900},
			want: statusJSON{Profile: "p", Expiration: "2026-12-04T16:01:30Z", Remaining: 90, Source: "cache", DurationSeconds: 900}},
		{name: "expired", in: broker.SessionInfo{Profile: "p", Expiration: now.Add(-time.Hour), Source: "profile", Current: true},
			want: statusJSON{Profile: "p", Expiration: "2026-12-04T15:00:00Z", Expired: true, Source: "profile", Current: true}},
		{name: "no credentials", in: broker.SessionInfo{Profile: "p", Source: "profile"},
			want: statusJSON{Profile: "p", Expired: true, Source: "profile"}},
		{name: "times in UTC", in: broker.SessionInfo{Expiration: time.Date(2026, 12, 4, 18, 0, 0, 0, time.FixedZone("x", 3600))},
			want: statusJSON{Expiration: "2026-12-04T17:00:00Z", Remaining: 3600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toStatusJSON(tt.in, now); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestStatusOutputFlag(t *testing.T) {
	io, out, _ := simTestStreams()
	f := &factory{io: io, getenv: func(string) string { return "" }, now: time.Now}
	err := runStatus(context.Background(), &statusOptions{f: f, io: io, output: "yaml"})
	if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "--output") || out.String() != "" {
		t.Errorf("err %v, stdout %q", err, out.String())
	}
}
