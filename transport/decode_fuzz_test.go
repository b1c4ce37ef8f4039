package transport

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/api"
)

// Seeds: valid documents, near misses and hostile ones.
var decoderSeeds = []string{
	`{"name":"n","user":"u","version":"1","clusterCriterias":[{"tags":["sched:adhoc"]}],"commandCriteria":["type:shell"],"commandArguments":["echo","hi"]}`,
	`{"name":"n","user":"u","clusterCriterias":[{"tags":[" "]}],"commandCriteria":[""],"commandArgs":"x","timeout":-1,"memory":0,"cpu":0}`,
	`{"name":"n","user":"u","version":"1","status":"UP","tags":["a","genie.id:x"],"configs":["file:///etc/x"],"dependencies":["s3://b/k"],"setupFile":"http://h/s.sh"}`,
	`{"name":"n","user":"u","version":"1","status":"active","executable":"/bin/sh -c","clusterCriteria":[{"tags":["t"]},{}],"memory":1024}`,
	`{"name":"n","user":"u","version":"1","status":"ACTIVE","executableAndArguments":["", "x"],"runtime":{"resources":{"memoryMb":5}},"memory":7}`,
	`{"id":"../../etc","name":"\u0000","user":"u","version":"1","status":"UP"}`,
	`{"metadata":{"a":[1,2,{"b":null}]},"name":1}`,
	`[]`, `null`, `""`, `{`, `{"name":"a"}{"name":"b"}`, `{"tags":"notalist"}`,
	`{"clusterCriterias":[{"tags":null}],"commandCriteria":null,"timeout":1e99}`,
}

// checkDecodeError asserts that a refused document got a client error.
func checkDecodeError(t *testing.T, err error) {
	var reqErr *RequestError
	if !errors.As(err, &reqErr) {
		t.Fatalf("decoder error is not a client error: %T %v", err, err)
	}
	if reqErr.Status != http.StatusBadRequest && reqErr.Status != http.StatusPreconditionFailed {
		t.Fatalf("decoder error status %d: %v", reqErr.Status, err)
	}
	if reqErr.Message == "" {
		t.Fatal("decoder error without a message")
	}
}

func FuzzJobRequestDecode(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dto api.JobRequest
		err := decodeBytes(body, &dto)
		if err == nil {
			var req = dto
			r, verr := jobRequestFromDTO(&req)
			if verr != nil {
				checkDecodeError(t, verr)
				return
			}
			if len(r.ClusterCriterias) == 0 || len(r.CommandCriteria) == 0 || r.Name == "" || r.User == "" {
				t.Fatalf("accepted an incomplete request: %+v", r)
			}
			if requestHash(&r) == "" {
				t.Fatal("empty request hash")
			}
			return
		}
		checkDecodeError(t, err)
	})
}

func FuzzClusterDecode(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dto api.Cluster
		if err := decodeBytes(body, &dto); err != nil {
			checkDecodeError(t, err)
			return
		}
		c, err := clusterFromDTO(&dto)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if c.Name == "" || !api.ClusterStatus(c.Status).Valid() {
			t.Fatalf("accepted an invalid cluster: %+v", c)
		}
		for _, tag := range c.Tags {
			if tag == "" || strings.HasPrefix(tag, "genie.id:") || strings.HasPrefix(tag, "genie.name:") {
				t.Fatalf("stored tag %q", tag)
			}
		}
	})
}

func FuzzCommandDecode(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dto api.Command
		if err := decodeBytes(body, &dto); err != nil {
			checkDecodeError(t, err)
			return
		}
		c, err := commandFromDTO(&dto)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if len(c.Executable) == 0 {
			t.Fatalf("accepted a command without an executable: %+v", c)
		}
		for _, crit := range c.ClusterCriteria {
			if crit.Empty() {
				t.Fatal("accepted an empty criterion")
			}
		}
	})
}

func FuzzApplicationDecode(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dto api.Application
		if err := decodeBytes(body, &dto); err != nil {
			checkDecodeError(t, err)
			return
		}
		if _, err := applicationFromDTO(&dto); err != nil {
			checkDecodeError(t, err)
		}
	})
}

// FuzzAPIRequests sends arbitrary bodies to every write endpoint of a live
// handler: the answer is never a 5xx, and an error always has a JSON body.
func FuzzAPIRequests(f *testing.F) {
	paths := []string{
		"POST /api/v3/jobs", "POST /api/v3/clusters", "POST /api/v3/commands", "POST /api/v3/applications",
		"PUT /api/v3/clusters/c1", "PATCH /api/v3/clusters/c1", "POST /api/v3/clusters/c1/tags",
		"PUT /api/v3/commands/cmd/clusterCriteria", "POST /api/v3/commands/cmd/clusterCriteria",
		"PUT /api/v3/commands/cmd/applications", "PATCH /api/v3/commands/cmd",
	}
	for i, s := range decoderSeeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Add(uint8(5), []byte(`[{"op":"replace","path":"/status","value":"TERMINATED"}]`))
	f.Add(uint8(10), []byte(`[{"op":"remove","path":"/executableAndArguments"}]`))
	f.Add(uint8(7), []byte(`[{"tags":["a"]},{"name":"x","status":"nope"}]`))
	b := newFakeBackend(f)
	h := NewHandler(&HandlerConfig{Backend: b, MaxRequestBytes: 1 << 16})
	seed := func(method, path, body string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	seed("POST", "/api/v3/clusters", `{"id":"c1","name":"c","user":"u","version":"1","status":"UP","tags":["sched:adhoc"]}`)
	seed("POST", "/api/v3/commands", `{"id":"cmd","name":"c","user":"u","version":"1","status":"ACTIVE","executable":"/bin/true","tags":["type:shell"]}`)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		method, path, _ := strings.Cut(paths[int(which)%len(paths)], " ")
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s answered %d: %s", method, path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s %s error %d without a JSON body", method, path, rec.Code)
		}
	})
}

func FuzzMultipartJob(f *testing.F) {
	for _, s := range []string{
		"--b\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n" + decoderSeeds[0] + "\r\n--b\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"q.sql\"\r\n\r\nselect 1\r\n--b--\r\n",
		"--b\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"..\"\r\n\r\nx\r\n--b--\r\n",
		"--b\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{\r\n--b",
		"--b--", "", "--c\r\n\r\n--c--",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/api/v3/jobs", bytes.NewReader(body))
		dto, files, err := readMultipartJob(r, "b")
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if dto == nil {
			t.Fatal("no request and no error")
		}
		seen := map[string]bool{}
		for _, a := range files {
			if validAttachmentName(a.name) != nil || seen[a.name] {
				t.Fatalf("accepted attachment name %q", a.name)
			}
			seen[a.name] = true
		}
	})
}
