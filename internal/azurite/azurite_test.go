package azurite_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/intunetf/terraform-provider-intune/internal/azurite"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// Azurite serves HTTPS with the certificate it is given, keeps a block
// blob's content, and keeps it across a stop and restart on the same port.
func TestAzuriteStoresBlobsOverTLSAcrossARestart(t *testing.T) {
	// The certificate the emulator issues Azurite in the provider's tests
	// (graphfake.Server.WriteServerCertificate), trusted through its CA.
	emulator, err := graphfake.Start(graphfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer emulator.Close()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := emulator.WriteServerCertificate(certFile, keyFile, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(emulator.CACertPEM())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := azurite.Start(ctx, azurite.Options{CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	cred, err := azblob.NewSharedKeyCredential(azurite.AccountName, azurite.AccountKey)
	if err != nil {
		t.Fatal(err)
	}
	opts := &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}}
	client, err := azblob.NewClientWithSharedKeyCredential(srv.BlobEndpoint()+"/", cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateContainer(ctx, "content", nil); err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("ipa"), 100000)
	if _, err := client.UploadBuffer(ctx, "content", "app.ipa.bin", want, &azblob.UploadBufferOptions{BlockSize: 64 * 1024}); err != nil {
		t.Fatal(err)
	}
	endpoint := srv.BlobEndpoint()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.BlobEndpoint() != endpoint {
		t.Errorf("restarted at %s, was %s", srv.BlobEndpoint(), endpoint)
	}
	got, err := client.DownloadStream(ctx, "content", "app.ipa.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	b, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("read back %d bytes, wrote %d", len(b), len(want))
	}
}

// Azurite ends with the process that started it, even when that process
// is killed and runs no Stop (a test binary past its timeout).
func TestAzuriteExitsWithItsParent(t *testing.T) {
	if os.Getenv("AZURITE_TEST_PARENT") == "1" {
		srv, err := azurite.Start(context.Background(), azurite.Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("pid", srv.PID())
		select {} // until killed
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAzuriteExitsWithItsParent$")
	cmd.Env = append(os.Environ(), "AZURITE_TEST_PARENT=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "pid %d", &pid); err == nil {
			break
		}
		t.Log(sc.Text())
	}
	if pid == 0 {
		_ = cmd.Process.Kill()
		t.Fatal("the parent did not start Azurite")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// A generous bound for a busy machine; it takes well under a second.
	deadline := time.Now().Add(time.Minute)
	for tfharness.ProcessAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if tfharness.ProcessAlive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("Azurite (pid %d) still runs a minute after the process that started it was killed", pid)
	}
}
