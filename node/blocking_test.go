package node

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/transport"
)

// indexedGet GETs url and returns the status, the X-Genie-Index and the
// body, failing the test past 30 s.
func indexedGet(t *testing.T, url string) (int, uint64, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	index, err := strconv.ParseUint(resp.Header.Get(transport.IndexHeader), 10, 64)
	if err != nil {
		t.Fatalf("GET %s: no %s header: %v", url, transport.IndexHeader, err)
	}
	return resp.StatusCode, index, string(body)
}

func TestBlockingQueryThroughAFollowerFollowsAJobToItsEnd(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	follower := c.Followers()[0]
	id := submit(t, client(t, follower), shellJob("sleep 1"))

	// Each answer comes when the job's status moved past what the last one
	// showed, on a node that learns of it through the log.
	url := follower.URL() + "/api/v3/jobs/" + id + "/status"
	_, index, body := indexedGet(t, url)
	seen := []string{body}
	for !strings.Contains(body, "SUCCEEDED") {
		var status int
		var next uint64
		status, next, body = indexedGet(t, fmt.Sprintf("%s?index=%d&wait=20s", url, index))
		if status != http.StatusOK || next <= index {
			t.Fatalf("blocking query: %d, index %d after %d: %s (seen %v)", status, next, index, body, seen)
		}
		index = next
		seen = append(seen, body)
	}
	if len(seen) < 2 {
		t.Fatalf("statuses seen: %v", seen)
	}

	// The peers' index is that of the raft configuration.
	status, peersIndex, _ := indexedGet(t, follower.URL()+"/v1/operator/raft/peers")
	if status != http.StatusOK || peersIndex == 0 {
		t.Fatalf("raft peers: %d, index %d", status, peersIndex)
	}
}
