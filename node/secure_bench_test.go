package node

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/genie-cluster/genie/tlsutil"
)

// BenchmarkClusterSubmitSecured measures, in one run, durable submissions
// to a plain 3-node cluster and to one with ACLs and TLS on (HTTPS with a
// token from the clients, mutual TLS between nodes and for raft), 16
// clients spread over the nodes, and reports the secured rate over the
// plain one.
func BenchmarkClusterSubmitSecured(b *testing.B) {
	const clients = 16
	plain := benchCluster(b)
	var plainURLs []string
	for _, n := range plain.Nodes {
		plainURLs = append(plainURLs, n.URL()+"/api/v3/jobs")
	}

	ca := tlsutil.NewTestCA(b)
	secured := MakeCluster(b, 3, benchConfig(func(cfg *Config) {
		cfg.ACLEnabled = true
		cfg.TLS = ca.Config(b, tlsutil.CertOpts{Kind: tlsutil.ServerCert})
	}))
	for _, n := range secured.Nodes {
		n.holdRunner.Store(true)
	}
	admin, _ := bootstrapTLS(b, secured.Nodes[0], ca)
	user := newToken(b, admin, "alice", "user")
	for _, n := range secured.Nodes {
		waitFor(b, 10*time.Second, "the registry everywhere", func() bool { return n.State().Command("sh") != nil })
	}
	var securedURLs []string
	for _, n := range secured.Nodes {
		securedURLs = append(securedURLs, n.URL()+"/api/v3/jobs")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(ca.CertPEM))
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2,
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: tlsutil.ServerName(tlsutil.DefaultRegion)}}}

	// Warm both (connections, first entries), then measure them in
	// alternating rounds, so a change in the machine's load weighs on both.
	submitFrom(b, plainURLs, clients, 200)
	submitWith(b, hc, user, securedURLs, clients, 200)
	const rounds = 4
	var plainLat, securedLat []time.Duration
	var plainElapsed, securedElapsed time.Duration
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		lat, elapsed := submitFrom(b, plainURLs, clients, n)
		plainLat, plainElapsed = append(plainLat, lat...), plainElapsed+elapsed
		lat, elapsed = submitWith(b, hc, user, securedURLs, clients, n)
		securedLat, securedElapsed = append(securedLat, lat...), securedElapsed+elapsed
	}
	b.StopTimer()
	sort.Slice(plainLat, func(i, j int) bool { return plainLat[i] < plainLat[j] })
	sort.Slice(securedLat, func(i, j int) bool { return securedLat[i] < securedLat[j] })
	plainRate := float64(b.N) / plainElapsed.Seconds()
	securedRate := float64(b.N) / securedElapsed.Seconds()
	b.ReportMetric(plainRate, "plain-submits/s")
	b.ReportMetric(securedRate, "secured-submits/s")
	b.ReportMetric(securedRate/plainRate, "secured/plain")
	b.ReportMetric(float64(percentile(plainLat, 0.99).Microseconds())/1000, "plain-p99-ms")
	b.ReportMetric(float64(percentile(securedLat, 0.99).Microseconds())/1000, "secured-p99-ms")
}
