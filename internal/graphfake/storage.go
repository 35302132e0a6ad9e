package graphfake

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
)

// DefaultSASLifetime is how long a content file's SAS URL lives unless
// Options.SASLifetime says otherwise. Microsoft does not document it;
// clients renew every 7.5 minutes (DESIGN.md), which an hour leaves room for.
const DefaultSASLifetime = time.Hour

// Storage is the Azure Storage account content files are uploaded to:
// Azurite's development account in tests (internal/azurite's AccountName
// and AccountKey). BlobEndpoint is the account's URL, e.g.
// https://127.0.0.1:41234/devstoreaccount1.
type Storage struct {
	BlobEndpoint string
	AccountName  string
	AccountKey   string
}

// SetStorage makes content uploads go to st from now on.
func (s *Server) SetStorage(st Storage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storage = &st
}

// SetSASLifetime changes how long SAS URLs issued from now on live; d <= 0
// restores DefaultSASLifetime. Short lifetimes make tests renew.
func (s *Server) SetSASLifetime(d time.Duration) {
	if d <= 0 {
		d = DefaultSASLifetime
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sasLifetime = d
}

// SetPublishingReads changes how many reads of an app answer "processing"
// after its committedContentVersion moves; n <= 0 means 0: the next read
// answers "published".
func (s *Server) SetPublishingReads(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publishingReads = max(n, 0)
}

// signSAS is a SAS URL for one block blob, with only the permissions an
// upload needs (Put Block and Put Block List: create and write), HTTPS
// only when the endpoint is, expiring at expiry.
func signSAS(st Storage, containerName, blobName string, expiry time.Time) (string, error) {
	cred, err := container.NewSharedKeyCredential(st.AccountName, st.AccountKey)
	if err != nil {
		return "", err
	}
	protocol := sas.ProtocolHTTPSandHTTP
	if strings.HasPrefix(strings.ToLower(st.BlobEndpoint), "https://") {
		protocol = sas.ProtocolHTTPS
	}
	qp, err := sas.BlobSignatureValues{
		Protocol:      protocol,
		ExpiryTime:    expiry,
		Permissions:   (&sas.BlobPermissions{Create: true, Write: true}).String(),
		ContainerName: containerName,
		BlobName:      blobName,
	}.SignWithSharedKey(cred)
	if err != nil {
		return "", err
	}
	return blobURL(st, containerName, blobName) + "?" + qp.Encode(), nil
}

func blobURL(st Storage, containerName, blobName string) string {
	return strings.TrimSuffix(st.BlobEndpoint, "/") + "/" + url.PathEscape(containerName) + "/" + url.PathEscape(blobName)
}

// storageClientOptions trust the emulator's CA (WriteServerCertificate)
// and retry briefly: the emulator's own calls to Storage are few.
func (s *Server) storageClientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Transport: s.client,
		Retry:     policy.RetryOptions{MaxRetries: 2, RetryDelay: 100 * time.Millisecond, MaxRetryDelay: time.Second},
	}
}

// ensureContainer creates a container with the account key, once.
func (s *Server) ensureContainer(ctx context.Context, st Storage, name string) error {
	cred, err := container.NewSharedKeyCredential(st.AccountName, st.AccountKey)
	if err != nil {
		return err
	}
	c, err := container.NewClientWithSharedKeyCredential(strings.TrimSuffix(st.BlobEndpoint, "/")+"/"+name, cred,
		&container.ClientOptions{ClientOptions: s.storageClientOptions()})
	if err != nil {
		return err
	}
	if _, err = c.Create(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return err
	}
	return nil
}

// blobClient reads a blob with the account key (the commit check).
func blobClient(st Storage, containerName, blobName string, opts azcore.ClientOptions) (*blob.Client, error) {
	cred, err := blob.NewSharedKeyCredential(st.AccountName, st.AccountKey)
	if err != nil {
		return nil, err
	}
	return blob.NewClientWithSharedKeyCredential(blobURL(st, containerName, blobName), cred, &blob.ClientOptions{ClientOptions: opts})
}

// WriteServerCertificate issues a server certificate for host (and
// loopback) from the emulator's CA, and writes it and its key as PEM, for
// Azurite's --cert and --key: a client that trusts the emulator's CA
// (WriteCACert, SSL_CERT_FILE) then trusts Storage too.
func (s *Server) WriteServerCertificate(certFile, keyFile, host string) error {
	leaf, err := s.ca.issueServerCertificate(time.Now(), host)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		return fmt.Errorf("graphfake: encode key: %w", err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}
