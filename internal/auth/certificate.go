package auth

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"software.sslmate.com/src/go-pkcs12"
)

// loadCertificate reads the client certificate from its value (base64 of
// PKCS#12 or PEM, or PEM text) and/or its path; when both are given they
// must hold the same bytes.
func loadCertificate(value, path, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	var data []byte
	if value != "" {
		if strings.Contains(value, "-----BEGIN") {
			data = []byte(value)
		} else {
			decoded, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(value), ""))
			if err != nil {
				return nil, nil, errors.New("client_certificate must be a PKCS#12 bundle or PEM in base64 (or PEM text); it is not valid base64")
			}
			data = decoded
		}
	}
	if path != "" {
		fromFile, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("reading client_certificate_path: %w", err)
		}
		if data != nil && !bytes.Equal(bytes.TrimSpace(data), bytes.TrimSpace(fromFile)) {
			return nil, nil, errors.New("client_certificate and client_certificate_path are both set and disagree; set only one of them")
		}
		data = fromFile
	}
	return parseCertificate(data, password)
}

// parseCertificate accepts PEM (certificate and key, key unencrypted) and
// PKCS#12 with or without a password. azidentity reads PEM and the legacy
// PKCS#12 encryption; go-pkcs12 also reads what OpenSSL 3 writes by
// default (AES and a SHA-256 MAC), which azidentity rejects.
func parseCertificate(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	certs, key, err := azidentity.ParseCertificates(data, []byte(password))
	if err == nil {
		return certs, key, nil
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, nil, fmt.Errorf("cannot use the PEM client certificate: %w (it needs a CERTIFICATE and an unencrypted PRIVATE KEY block)", err)
	}
	key, cert, chain, p12err := pkcs12.DecodeChain(data, password)
	if p12err != nil {
		if errors.Is(p12err, pkcs12.ErrIncorrectPassword) {
			return nil, nil, errors.New("cannot open the PKCS#12 client certificate: client_certificate_password (ARM_CLIENT_CERTIFICATE_PASSWORD) is wrong or missing")
		}
		return nil, nil, fmt.Errorf("cannot read the client certificate as PEM or PKCS#12: %w", p12err)
	}
	return append([]*x509.Certificate{cert}, chain...), key, nil
}
