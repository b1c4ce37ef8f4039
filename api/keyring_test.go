package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestKeyringOpPostsTheChange(t *testing.T) {
	var got KeyringRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/operator/keyring" {
			http.Error(w, `{"message":"wrong route"}`, http.StatusNotFound)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"op":"use","nodes":[{"node":"n1","id":"i1"},{"node":"n2","id":"i2"}]}`))
	}))
	defer srv.Close()
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Operator().KeyringOp(context.Background(), KeyringUse, "a2V5")
	if err != nil || got != (KeyringRequest{Op: "use", Key: "a2V5"}) || len(res.Nodes) != 2 || res.Nodes[1].Node != "n2" {
		t.Fatalf("sent %+v, got %+v, %v", got, res, err)
	}
	if _, err := c.Operator().Keyring(context.Background()); !IsNotFound(err) {
		t.Fatalf("GET on the fake: %v", err)
	}
}
