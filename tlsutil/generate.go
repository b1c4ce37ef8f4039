package tlsutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"
)

// Defaults of GenerateCA and GenerateCert.
const (
	DefaultCACommonName = "genie-agent-ca"
	DefaultCADays       = 5 * 365
	DefaultCertDays     = 365
)

// backdate is how far before now certificates become valid, so a node whose
// clock is a little behind the signer's accepts a fresh certificate.
const backdate = time.Minute

// CAOpts describe a CA to generate. The zero value is a valid default.
type CAOpts struct {
	// CommonName defaults to DefaultCACommonName.
	CommonName string
	// Days of validity; DefaultCADays when 0.
	Days int
	// NotBefore and NotAfter, when set, replace the validity derived from
	// Days.
	NotBefore, NotAfter time.Time
}

// GenerateCA returns a new self-signed CA with an ECDSA P-256 key, both PEM
// encoded.
func GenerateCA(opts CAOpts) (certPEM, keyPEM string, err error) {
	if opts.CommonName == "" {
		opts.CommonName = DefaultCACommonName
	}
	if opts.Days == 0 {
		opts.Days = DefaultCADays
	}
	notBefore, notAfter, err := validity(opts.Days, opts.NotBefore, opts.NotAfter)
	if err != nil {
		return "", "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return "", "", err
	}
	serial, err := serialNumber()
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: opts.CommonName},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return "", "", fmt.Errorf("create CA certificate: %w", err)
	}
	return encode(der, key)
}

// CertKind says what a certificate is for.
type CertKind int

const (
	// ServerCert is a node's: server and client auth, named
	// server.<region>.genie, localhost and 127.0.0.1.
	ServerCert CertKind = iota + 1
	// ClientCert is a user's or tool's: client auth only, named
	// client.<region>.genie.
	ClientCert
)

// CertOpts describe a certificate to generate.
type CertOpts struct {
	// CACertPEM and CAKeyPEM are the signing CA, as GenerateCA returns them.
	CACertPEM, CAKeyPEM string
	// Kind is ServerCert or ClientCert; there is no default.
	Kind CertKind
	// Region defaults to DefaultRegion.
	Region string
	// DNSNames and IPAddresses are added to the names of Kind.
	DNSNames    []string
	IPAddresses []net.IP
	// Days of validity; DefaultCertDays when 0.
	Days int
	// NotBefore and NotAfter, when set, replace the validity derived from
	// Days.
	NotBefore, NotAfter time.Time
}

// GenerateCert returns a new certificate signed by the CA of opts, with an
// ECDSA P-256 key, both PEM encoded.
func GenerateCert(opts CertOpts) (certPEM, keyPEM string, err error) {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if !regionRE.MatchString(opts.Region) {
		return "", "", fmt.Errorf("region %q is not a DNS label", opts.Region)
	}
	if opts.Days == 0 {
		opts.Days = DefaultCertDays
	}
	notBefore, notAfter, err := validity(opts.Days, opts.NotBefore, opts.NotAfter)
	if err != nil {
		return "", "", err
	}
	ca, signer, err := parseSigner(opts.CACertPEM, opts.CAKeyPEM)
	if err != nil {
		return "", "", err
	}

	var name string
	var dnsNames []string
	var ips []net.IP
	var usage []x509.ExtKeyUsage
	switch opts.Kind {
	case ServerCert:
		name = ServerName(opts.Region)
		dnsNames = []string{name, "localhost"}
		ips = []net.IP{net.IPv4(127, 0, 0, 1)}
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	case ClientCert:
		name = ClientName(opts.Region)
		dnsNames = []string{name}
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		return "", "", fmt.Errorf("certificate kind %d is neither ServerCert nor ClientCert", opts.Kind)
	}
	for _, n := range opts.DNSNames {
		if l := strings.ToLower(n); opts.Kind == ClientCert && strings.HasPrefix(l, "server.") && strings.HasSuffix(l, ".genie") {
			// Role names are the certificate kind's to give.
			return "", "", fmt.Errorf("additional DNS name %q: a client certificate cannot carry a server's name (use -server)", n)
		}
		if !slices.Contains(dnsNames, n) {
			dnsNames = append(dnsNames, n)
		}
	}
	for _, ip := range opts.IPAddresses {
		if !slices.ContainsFunc(ips, ip.Equal) {
			ips = append(ips, ip)
		}
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial, err := serialNumber()
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           usage,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), signer)
	if err != nil {
		return "", "", fmt.Errorf("create certificate: %w", err)
	}
	return encode(der, key)
}

// validity returns the validity window: from notBefore, or a little before
// now, for days; notAfter, when set, ends it instead.
func validity(days int, notBefore, notAfter time.Time) (time.Time, time.Time, error) {
	if days < 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("days %d is negative", days)
	}
	start := notBefore
	if start.IsZero() {
		start = time.Now()
		notBefore = start.Add(-backdate)
	}
	if notAfter.IsZero() {
		notAfter = start.AddDate(0, 0, days)
	}
	if !notAfter.After(notBefore) {
		return time.Time{}, time.Time{}, fmt.Errorf("not after %s is not after not before %s", notAfter, notBefore)
	}
	return notBefore, notAfter, nil
}

// parseSigner parses a CA certificate and its private key and checks they
// belong together.
func parseSigner(certPEM, keyPEM string) (*x509.Certificate, crypto.Signer, error) {
	certs, err := parseCertificates([]byte(certPEM))
	if err != nil {
		return nil, nil, fmt.Errorf("CA certificate: %w", err)
	}
	ca := certs[0]
	if !ca.IsCA {
		return nil, nil, errors.New("CA certificate: not a CA")
	}
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		return nil, nil, errors.New("CA key: no PEM block")
	}
	var key any
	switch block.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, nil, fmt.Errorf("CA key: unknown PEM block %q", block.Type)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("CA key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("CA key: cannot sign")
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(ca.PublicKey) {
		return nil, nil, errors.New("CA key: does not match the CA certificate")
	}
	return ca, signer, nil
}

// subjectKeyID is the SHA-1 of the subjectPublicKey bits (RFC 5280
// 4.2.1.2, method 1).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

// serialNumber is a random positive 127-bit number.
func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// encode PEM-encodes a certificate and its key.
func encode(der []byte, key *ecdsa.PrivateKey) (string, string, error) {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return string(certPEM), string(keyPEM), nil
}
