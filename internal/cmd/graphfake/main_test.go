package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

func TestRunServesUntilCancelled(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	env := map[string]string{clientSecretEnv: "from-the-environment"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	stdoutReader, stdout := io.Pipe()
	stderr := &tfharness.SyncBuffer{} // the server writes it from its goroutines
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-ca-file", caFile, "-configuration", "AAAAAAAA-0000-0000-0000-000000000001=Sales"},
			func(k string) string { return env[k] }, stdout, stderr)
		stdout.Close()
	}()

	line, err := bufio.NewReader(stdoutReader).ReadString('\n')
	if err != nil {
		t.Fatalf("reading GRAPHFAKE_URL: %v (stderr: %s)", err, stderr.String())
	}
	serverURL, ok := strings.CutPrefix(strings.TrimSpace(line), "GRAPHFAKE_URL=")
	if !ok || !strings.HasPrefix(serverURL, "https://127.0.0.1:") {
		t.Fatalf("first stdout line = %q", line)
	}

	// An out-of-process client needs only the CA file and the secret.
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()

	resp, err := client.PostForm(serverURL+"/"+graphfake.DefaultTenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {graphfake.DefaultClientID},
		"client_secret": {"from-the-environment"},
		"scope":         {serverURL + "/.default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var token struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&token)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("token with the environment's secret: status %d, %v", resp.StatusCode, err)
	}

	// The -configuration flag seeded the configuration (stored lowercase).
	req, _ := http.NewRequest(http.MethodGet, serverURL+"/beta/deviceAppManagement/iosLobAppProvisioningConfigurations/aaaaaaaa-0000-0000-0000-000000000001", nil)
	req.Header.Set("Authorization", "Bearer "+token.AccessToken)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"displayName":"Sales"`) {
		t.Fatalf("seeded configuration: status %d, body %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	log := stderr.String()
	if !strings.Contains(log, "POST /"+graphfake.DefaultTenantID+"/oauth2/v2.0/token 200") {
		t.Errorf("stderr lacks the request log: %s", log)
	}
	if strings.Contains(log, "from-the-environment") {
		t.Errorf("stderr leaks the client secret: %s", log)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := map[string][]string{
		"no ca file":          {},
		"bad configuration":   {"-ca-file", "x.pem", "-configuration", "sales=Sales"},
		"positional":          {"-ca-file", "x.pem", "extra"},
		"unknown flag":        {"-ca-file", "x.pem", "-nope"},
		"page size not int":   {"-ca-file", "x.pem", "-page-size", "many"},
		"empty configuration": {"-ca-file", "x.pem", "-configuration", ""},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
			if err != errUsage {
				t.Fatalf("run = %v, want errUsage", err)
			}
			if stdout.Len() != 0 || !strings.Contains(stderr.String(), "Usage") {
				t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}
