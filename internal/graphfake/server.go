// Package graphfake is an in-memory emulator of the slice of Microsoft Graph
// (beta: Intune's iOS LOB app provisioning configurations, and iOS LOB apps
// with their content and assignments) and of the Entra ID
// token service that the provider talks to, together with the identity
// endpoints the provider's authentication methods use: the GitHub Actions
// and Azure DevOps OIDC token endpoints, an App Service style managed
// identity endpoint, and (as a script) the Azure CLI.
//
// It serves HTTPS with a freshly generated CA, so clients go through the same
// TLS, token, paging and error-handling code they use against the real
// services. One URL is both the Graph endpoint and the Entra authority host.
// It imports nothing from the provider on purpose: it models the services,
// not the provider's idea of them.
package graphfake

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// Defaults used when the matching Options field is zero.
const (
	DefaultTenantID      = "11111111-1111-1111-1111-111111111111"
	DefaultClientID      = "22222222-2222-2222-2222-222222222222"
	DefaultClientSecret  = "graphfake-secret"
	DefaultPageSize      = 100
	DefaultAddr          = "127.0.0.1:0"
	DefaultTokenLifetime = time.Hour
)

// Options configures a Server. The zero value is usable.
type Options struct {
	TenantID      string        // default DefaultTenantID
	ClientID      string        // default DefaultClientID
	ClientSecret  string        // default DefaultClientSecret
	PageSize      int           // items per page of collection reads; 0 means 100
	Addr          string        // listen address; "" means "127.0.0.1:0"
	TokenLifetime time.Duration // default 1h

	// ReadLag makes reads of a configuration's or an app's assignments show
	// the previous set for this long after every assign (SetReadLag changes it).
	ReadLag time.Duration
	// WriteLimit, if set, throttles writes like Intune (see SetWriteLimit).
	WriteLimit *WriteLimit
	// Latency delays every answer, Graph and Entra alike, so that a round
	// trip costs what it costs against a real tenant (100-300 ms). 0 by
	// default; SetLatency changes it.
	Latency time.Duration
	// Reads picks how $expand and the plain list are answered (see
	// ReadBehaviour); "" is ReadsHonourExpand. SetReadBehaviour changes it.
	Reads ReadBehaviour

	// Storage is the Azure Storage account content uploads go to (Azurite
	// in tests); nil until SetStorage. Without it a content file's SAS
	// request fails (see appcontent.go).
	Storage *Storage
	// SASLifetime is how long a content file's SAS URL is valid; 0 means
	// DefaultSASLifetime. SetSASLifetime changes it.
	SASLifetime time.Duration
	// PublishingReads is how many reads of an app answer publishingState
	// "processing" after a PATCH that moves committedContentVersion, before
	// it is "published"; 0 means 1. SetPublishingReads changes it.
	PublishingReads int

	// OnRequest, if set, is called after every request has been answered
	// (for example to log it). It runs on the request's goroutine.
	OnRequest func(Request)
}

func (o Options) withDefaults() Options {
	if o.TenantID == "" {
		o.TenantID = DefaultTenantID
	}
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = DefaultTokenLifetime
	}
	if o.Reads == "" {
		o.Reads = ReadsHonourExpand
	}
	if o.SASLifetime <= 0 {
		o.SASLifetime = DefaultSASLifetime
	}
	if o.PublishingReads <= 0 {
		o.PublishingReads = 1
	}
	return o
}

// Server is a running emulator. All methods are safe for concurrent use.
type Server struct {
	opts     Options
	url      string
	caPEM    []byte
	caPool   *x509.CertPool
	ca       *certificateAuthority
	client   *http.Client
	httpSrv  *http.Server
	listener net.Listener

	// Per-server secrets of the emulated platforms, fixed at Start.
	githubRequestToken string
	adoAccessToken     string
	msiHeader          string

	idpKeyOnce sync.Once
	idpKey     *idpKey

	// background is cancelled by Close: it ends the commit checks in flight.
	background context.Context
	stop       context.CancelFunc

	mu                sync.Mutex // guards everything below
	pageSize          int
	configs           map[string]*configuration // keyed by lowercase id
	apps              map[string]*application   // keyed by lowercase client id
	managedIdentities map[string]bool           // user-assigned, keyed by lowercase client id
	adoConnections    map[string]string         // service connection name by lowercase id
	githubSubject     string
	tokens            map[string]issuedToken // keyed by access token
	tokenGrants       int
	requests          []Request
	faults            []*faultRule
	readLag           time.Duration
	latency           time.Duration
	reads             ReadBehaviour
	throttle          *writeThrottle        // nil when writes are not throttled
	mobileApps        map[string]*iosLobApp // keyed by lowercase id
	storage           *Storage
	sasLifetime       time.Duration
	publishingReads   int
}

// Start listens on opts.Addr and serves HTTPS until Close.
func Start(opts Options) (*Server, error) {
	opts = opts.withDefaults()

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("graphfake: listen on %s: %w", opts.Addr, err)
	}
	host := advertisedHost(opts.Addr)
	port := ln.Addr().(*net.TCPAddr).Port

	now := time.Now()
	ca, err := newCertificateAuthority(now)
	if err != nil {
		ln.Close()
		return nil, err
	}
	leaf, err := ca.issueServerCertificate(now, host)
	if err != nil {
		ln.Close()
		return nil, err
	}

	s := &Server{
		opts:     opts,
		url:      "https://" + net.JoinHostPort(host, strconv.Itoa(port)),
		caPEM:    ca.certPEM,
		caPool:   x509.NewCertPool(),
		ca:       ca,
		listener: ln,
		pageSize: opts.PageSize,
		configs:  map[string]*configuration{},
		tokens:   map[string]issuedToken{},
		readLag:  opts.ReadLag,
		latency:  opts.Latency,
		reads:    opts.Reads,

		githubRequestToken: randomToken(),
		adoAccessToken:     randomToken(),
		msiHeader:          randomToken(),
		apps:               map[string]*application{},
		managedIdentities:  map[string]bool{},
		adoConnections:     map[string]string{},
		githubSubject:      DefaultGitHubSubject,
		mobileApps:         map[string]*iosLobApp{},
		sasLifetime:        opts.SASLifetime,
		publishingReads:    opts.PublishingReads,
	}
	if opts.Storage != nil {
		st := *opts.Storage
		s.storage = &st
	}
	s.background, s.stop = context.WithCancel(context.Background())
	if opts.WriteLimit != nil {
		s.throttle = newWriteThrottle(*opts.WriteLimit, now)
	}
	s.caPool.AddCert(ca.cert)
	s.AddClientSecret(opts.ClientID, opts.ClientSecret)

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: s.caPool, MinVersion: tls.VersionTLS12}
	s.client = &http.Client{Transport: transport}

	s.httpSrv = &http.Server{
		Handler:           s,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
	}
	// ServeTLS (rather than Serve on a TLS listener) also enables HTTP/2, like the real services.
	go func() { _ = s.httpSrv.ServeTLS(ln, "", "") }()
	return s, nil
}

// advertisedHost is the host put in URL(): wildcard listen addresses are
// reached through loopback, which the certificate always covers.
func advertisedHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		return "127.0.0.1"
	}
	return host
}

// Close stops the server and drops open connections.
func (s *Server) Close() {
	s.stop()
	_ = s.httpSrv.Close()
	s.client.CloseIdleConnections()
}

// URL is "https://host:port" with no trailing slash. It is both the Graph
// endpoint and the Entra authority host.
func (s *Server) URL() string { return s.url }

// TenantID is the only tenant the token service knows.
func (s *Server) TenantID() string { return s.opts.TenantID }

// ClientID is the application registered at Start, with ClientSecret.
// AddApplication and the other Add* methods register more.
func (s *Server) ClientID() string { return s.opts.ClientID }

// ClientSecret is the secret ClientID was registered with.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// CACertPEM is the PEM of the CA that signed the server certificate.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.caPEM...) }

// WriteCACert writes the CA certificate as PEM, for out-of-process clients
// (for example through SSL_CERT_FILE).
func (s *Server) WriteCACert(path string) error {
	return os.WriteFile(path, s.caPEM, 0o644)
}

// HTTPClient returns a client that trusts the server's CA. It satisfies
// azcore's policy.Transporter, so it can be used as ClientOptions.Transport.
func (s *Server) HTTPClient() *http.Client { return s.client }

// SetPageSize changes the number of items per page of collection reads;
// n <= 0 restores the default of 100.
func (s *Server) SetPageSize(n int) {
	if n <= 0 {
		n = DefaultPageSize
	}
	s.mu.Lock()
	s.pageSize = n
	s.mu.Unlock()
}

// SetReadLag changes how long reads keep showing the previous assignments
// after an assign; 0 makes writes visible at once.
func (s *Server) SetReadLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readLag = d
}

// SetLatency changes the delay added to every answer.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ServeHTTP is the front door: correlation headers, fault injection,
// routing to Entra or Graph, then the request log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	clientRequestID := r.Header.Get("client-request-id")
	if clientRequestID == "" {
		clientRequestID = newGUID()
	}
	// Error writers read these back from the response headers, so no
	// per-request state needs to be threaded through the handlers.
	rec.Header().Set("request-id", newGUID())
	rec.Header().Set("client-request-id", clientRequestID)

	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	_, _, isEntra := entraRoute(r.URL.Path)
	isIdentityProvider := isIdentityProviderPath(r.URL.Path)
	// Identity endpoints count as Entra for faults: they fail only when asked for by path.
	identity := isEntra || isIdentityProvider
	fault, faulty := s.takeFault(r, identity)
	if faulty {
		latency += fault.Delay
	}
	if !sleep(r.Context(), latency) {
		s.record(r, received, clientRequestID, 0, "", true) // the client gave up waiting
		return
	}
	if faulty && fault.ExpireTokens {
		s.ExpireTokens()
	}
	if faulty && fault.ReadLag > 0 {
		r = r.WithContext(context.WithValue(r.Context(), readLagKey{}, fault.ReadLag))
	}

	switch {
	case faulty && fault.Drop == DropBeforeApply:
		s.dropConnection(r, received, clientRequestID, 0)
	case faulty && fault.Drop == DropAfterApply:
		d := &discardWriter{header: http.Header{}}
		s.serve(d, r, isEntra, isIdentityProvider)
		s.dropConnection(r, received, clientRequestID, d.status)
	case faulty && fault.failsWithStatus():
		s.writeFault(rec, r, fault, identity)
	default:
		s.serve(rec, r, isEntra, isIdentityProvider)
	}
	s.record(r, received, clientRequestID, rec.statusCode(), rec.principal, false)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, isEntra, isIdentityProvider bool) {
	switch {
	case isEntra:
		s.serveEntra(w, r)
	case isIdentityProvider:
		s.serveIdentityProvider(w, r)
	default:
		s.serveGraph(w, r)
	}
}

// dropConnection ends the request without an answer. net/http closes an
// HTTP/1.1 connection, or resets the HTTP/2 stream, of a handler that
// panics with ErrAbortHandler, and logs nothing.
func (s *Server) dropConnection(r *http.Request, received time.Time, clientRequestID string, appliedStatus int) {
	s.record(r, received, clientRequestID, appliedStatus, "", true)
	panic(http.ErrAbortHandler)
}

// statusRecorder remembers the status code for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status    int
	principal string // whose token a Graph request carried
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flush, hijack).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
