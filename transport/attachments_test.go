package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/api"
)

// attachingBackend is the fake backend with attachments kept in memory.
type attachingBackend struct {
	*fakeBackend
	stored map[string][]byte
}

func (b *attachingBackend) StoreAttachment(_ context.Context, jobID, name string, content []byte) (string, bool, error) {
	uri := "file:///attachments/" + jobID + "/" + name
	b.stored[uri] = content
	return uri, false, nil
}

type formPart struct {
	form, file, body string
}

func multipartBody(t *testing.T, parts ...formPart) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := `form-data; name="` + p.form + `"`
		if p.file != "" {
			cd += `; filename="` + p.file + `"`
		}
		h.Set("Content-Disposition", cd)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.body)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestMultipartSubmissionStoresAttachments(t *testing.T) {
	fake, c, srv := testAPI(t)
	store := &attachingBackend{fakeBackend: fake, stored: map[string][]byte{}}
	srv.Config.Handler = NewHandler(&HandlerConfig{Backend: store, MaxRequestBytes: 1 << 20})
	ctx := context.Background()
	c.Clusters().Create(ctx, newCluster("local", "local", api.ClusterStatusUp, "sched:adhoc"))
	c.Commands().Create(ctx, &api.Command{ID: "sh", Name: "sh", User: "ops", Version: "1", Status: api.CommandStatusActive,
		Tags: []string{"type:shell"}, ExecutableAndArguments: []string{"/bin/sh", "-c"}})
	req := &api.JobRequest{ID: "with-files", Name: "n", User: "u", Version: "1",
		ClusterCriterias: []api.ClusterCriteria{{Tags: []string{"sched:adhoc"}}},
		CommandCriteria:  []string{"type:shell"}, CommandArgs: "cat query.sql"}
	files := func(body string) []api.Attachment {
		return []api.Attachment{{Name: "query.sql", Content: strings.NewReader(body)}, {Name: "udf.py", Content: strings.NewReader("pass")}}
	}
	id, err := c.Jobs().SubmitWithAttachments(ctx, req, files("select 1"))
	if err != nil || id != "with-files" {
		t.Fatalf("submit: %q, %v", id, err)
	}
	j := fake.State().Job(id)
	want := []string{"file:///attachments/with-files/query.sql", "file:///attachments/with-files/udf.py"}
	if strings.Join(j.Request.Dependencies, " ") != strings.Join(want, " ") {
		t.Fatalf("dependencies %v, want %v", j.Request.Dependencies, want)
	}
	if string(store.stored[want[0]]) != "select 1" {
		t.Fatalf("stored %q", store.stored[want[0]])
	}
	// The same submission again is the same job; other files under the
	// same id are a conflict, and leave the first job's files alone.
	if _, err := c.Jobs().SubmitWithAttachments(ctx, req, files("select 1")); err != nil {
		t.Fatalf("resubmission: %v", err)
	}
	_, err = c.Jobs().SubmitWithAttachments(ctx, req, files("select 2"))
	if !api.HasStatus(err, http.StatusConflict) {
		t.Fatalf("other files under the same id: %v", err)
	}
	if string(store.stored[want[0]]) != "select 1" {
		t.Fatalf("the conflicting submission replaced the stored file: %q", store.stored[want[0]])
	}
}

func TestMultipartSubmissionErrorsNameThePart(t *testing.T) {
	fake, _, srv := testAPI(t)
	srv.Config.Handler = NewHandler(&HandlerConfig{Backend: &attachingBackend{fakeBackend: fake, stored: map[string][]byte{}}, MaxRequestBytes: 1 << 20})
	request := formPart{form: "request", body: `{"name":"n","user":"u","version":"1","clusterCriterias":[{"tags":["x"]}],"commandCriteria":["y"]}`}
	cases := []struct {
		name   string
		parts  []formPart
		status int
		field  string
	}{
		{"no request part", []formPart{{form: "attachment", file: "a", body: "x"}}, 400, "request"},
		{"two request parts", []formPart{request, request}, 400, "request"},
		{"a name that climbs", []formPart{request, {form: "attachment", file: "..", body: "x"}}, 400, "attachment"},
		{"no file name", []formPart{request, {form: "attachment", body: "x"}}, 400, "attachment"},
		{"the same name twice", []formPart{request, {form: "attachment", file: "a", body: "x"}, {form: "attachment", file: "a", body: "y"}}, 400, "attachment"},
		{"an unknown part", []formPart{request, {form: "other", body: "x"}}, 400, "other"},
		{"a malformed request", []formPart{{form: "request", body: `{"name":`}}, 400, ""},
	}
	for _, tc := range cases {
		ct, body := multipartBody(t, tc.parts...)
		resp, err := http.Post(srv.URL+"/api/v3/jobs", ct, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Message, Field string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.status || e.Field != tc.field || e.Message == "" {
			t.Errorf("%s: %d %+v, want %d naming %q", tc.name, resp.StatusCode, e, tc.status, tc.field)
		}
	}
	if n := len(fake.State().ActiveJobs()); n != 0 {
		t.Fatalf("%d jobs recorded from bad submissions", n)
	}
	// A body over the limit is 413.
	ct, body := multipartBody(t, request, formPart{form: "attachment", file: "big", body: strings.Repeat("x", 2<<20)})
	resp, _ := http.Post(srv.URL+"/api/v3/jobs", ct, bytes.NewReader(body))
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: %d", resp.StatusCode)
	}
}
