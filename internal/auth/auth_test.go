package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveCloud(t *testing.T) {
	cases := []struct {
		env, graph, authority string
		wantGraph, wantAuth   string
		wantScope             string
	}{
		{"", "", "", "https://graph.microsoft.com", "https://login.microsoftonline.com/", "https://graph.microsoft.com/.default"},
		{"global", "", "", "https://graph.microsoft.com", "https://login.microsoftonline.com/", "https://graph.microsoft.com/.default"},
		{"USGovernment", "", "", "https://graph.microsoft.us", "https://login.microsoftonline.us/", "https://graph.microsoft.us/.default"},
		{"usgovernmentl4", "", "", "https://graph.microsoft.us", "https://login.microsoftonline.us/", "https://graph.microsoft.us/.default"},
		{"dod", "", "", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us/", "https://dod-graph.microsoft.us/.default"},
		{"usgovernmentl5", "", "", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us/", "https://dod-graph.microsoft.us/.default"},
		{"china", "", "", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn/.default"},
		{"custom", "https://graph.example/", "https://login.example", "https://graph.example", "https://login.example/", "https://graph.example/.default"},
		{"public", "https://127.0.0.1:8443", "", "https://127.0.0.1:8443", "https://login.microsoftonline.com/", "https://127.0.0.1:8443/.default"},
	}
	for _, c := range cases {
		got, err := ResolveCloud(c.env, c.graph, c.authority)
		if err != nil {
			t.Errorf("ResolveCloud(%q): %v", c.env, err)
			continue
		}
		if got.GraphEndpoint != c.wantGraph || got.AuthorityHost != c.wantAuth || got.Scope() != c.wantScope {
			t.Errorf("ResolveCloud(%q, %q, %q) = %+v scope %s", c.env, c.graph, c.authority, got, got.Scope())
		}
	}
}

func TestResolveCloudErrors(t *testing.T) {
	cases := []struct{ env, graph, authority, want string }{
		{"mars", "", "", "valid values are"},
		{"custom", "https://graph.example", "", "needs both"},
		{"public", "http://graph.example", "", "must be an https URL"},
		{"public", "http://127.0.0.1:8080", "", "must be an https URL"}, // loopback too: a token is never sent in clear text
		{"public", "", "ftp://login.example", "must be an https URL"},
	}
	for _, c := range cases {
		_, err := ResolveCloud(c.env, c.graph, c.authority)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ResolveCloud(%q, %q, %q) err = %v, want %q", c.env, c.graph, c.authority, err, c.want)
		}
	}
}

func TestValueAndFileMustAgree(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	if err := os.WriteFile(p, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := valueOrFile("client_secret", "", p); err != nil || v != "s3cret-from-file" {
		t.Errorf("file only: %q, %v", v, err)
	}
	if v, err := valueOrFile("client_secret", "s3cret-from-file", p); err != nil || v != "s3cret-from-file" {
		t.Errorf("agreeing: %q, %v", v, err)
	}
	_, err := valueOrFile("client_secret", "other-value", p)
	if err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("disagreeing: %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "other-value") {
		t.Errorf("error quotes a secret: %v", err)
	}
	if _, err := valueOrFile("client_id", "", filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}
