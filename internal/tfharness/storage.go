package tfharness

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/azurite"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// StartStorage starts Azurite as the Storage server of srv's app uploads,
// over TLS with a certificate from srv's CA (which the emulator's CA file,
// and so SSL_CERT_FILE, already trusts), with its workspace in dir. The
// caller stops it.
func StartStorage(ctx context.Context, srv *graphfake.Server, dir string) (*azurite.Server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := srv.WriteServerCertificate(cert, key, "127.0.0.1"); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute) // a cold start on a busy machine takes seconds
	defer cancel()
	st, err := azurite.Start(ctx, azurite.Options{CertFile: cert, KeyFile: key, Dir: filepath.Join(dir, "data")})
	if err != nil {
		return nil, err
	}
	srv.SetStorage(graphfake.Storage{BlobEndpoint: st.BlobEndpoint(), AccountName: azurite.AccountName, AccountKey: azurite.AccountKey})
	return st, nil
}
