package devicesim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestServeTLS(t *testing.T) {
	cert, certPEM, err := NewSelfSignedCert("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) || len(leaf.DNSNames) != 0 {
		t.Errorf("SANs: IPs %v, DNS %v", leaf.IPAddresses, leaf.DNSNames)
	}
	if d := time.Until(leaf.NotAfter); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("valid until %v", leaf.NotAfter)
	}
	st := testState()
	dev, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(sctx, ln, dev, &cert) }()

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("bad PEM")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	cfg := sdkConfig("snow", static(st.Users[0].AccessKeyID, st.Users[0].SecretAccessKey, ""))
	cfg.HTTPClient = client
	c := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String("https://" + ln.Addr().String()) })
	if _, err := c.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(dev.RoleARNs()[0]), RoleSessionName: aws.String("tls")}); err != nil {
		t.Fatalf("AssumeRole over TLS: %v", err)
	}
	// Faults that close the connection work over TLS too.
	if err := dev.SetFaults(Faults{Drop: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(dev.RoleARNs()[0]), RoleSessionName: aws.String("tls")}); err == nil {
		t.Error("dropped request succeeded")
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

func TestSelfSignedCertSANs(t *testing.T) {
	tests := []struct {
		host    string
		wantIPs int
		wantDNS []string
	}{
		{"localhost", 0, []string{"localhost"}},
		{"device.example", 0, []string{"device.example"}},
		{"::1", 1, nil},
		{"", 2, []string{"localhost"}},
		{"0.0.0.0", 2, []string{"localhost"}},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			cert, _, err := NewSelfSignedCert(tc.host)
			if err != nil {
				t.Fatal(err)
			}
			if len(cert.Leaf.IPAddresses) != tc.wantIPs || len(cert.Leaf.DNSNames) != len(tc.wantDNS) {
				t.Errorf("IPs %v DNS %v", cert.Leaf.IPAddresses, cert.Leaf.DNSNames)
			}
			if tc.host != "" && tc.host != "0.0.0.0" {
				if err := cert.Leaf.VerifyHostname(tc.host); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
