import { X509Certificate } from 'node:crypto';
import { markerPaging, route as r, str, type ApiOptions, type Route } from './route.js';

/** https://docs.aws.amazon.com/iot/latest/apireference/API_CreateKeysAndCertificate.html and its siblings */
export function certificateRoutes(o: ApiOptions): Route[] {
  const reg = o.registry;
  return [
    r('CreateKeysAndCertificate', 'POST', '/keys-and-certificate', true, async (c) => {
      const active = c.query.bool('setAsActive') ?? false;
      const issued = await o.issue(o.ca);
      const x = new X509Certificate(issued.certPem);
      // the registry keeps the certificate, never the device's private key
      const out = reg.addCertificate({ certificateId: issued.certificateId, certificatePem: issued.certPem, active, notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo) }, c.region);
      return { ...out, keyPair: { PublicKey: issued.publicKey, PrivateKey: issued.privateKey } };
    }),
    r('DescribeCertificate', 'GET', '/certificates/{certificateId}', false, (c) => reg.describeCertificate(c.params.certificateId!)),
    r('UpdateCertificate', 'PUT', '/certificates/{certificateId}', true, (c) => reg.updateCertificate(c.params.certificateId!, c.query.str('newStatus'))),
    r('DeleteCertificate', 'DELETE', '/certificates/{certificateId}', true, (c) => reg.deleteCertificate(c.params.certificateId!, c.query.bool('forceDelete') ?? false)),
    r('ListCertificates', 'GET', '/certificates', false, (c) => reg.listCertificates(markerPaging(c))),
    r('GetRegistrationCode', 'GET', '/registrationcode', false, () => reg.getRegistrationCode()),
    r('RegisterCACertificate', 'POST', '/cacertificate', true, (c) =>
      reg.registerCaCertificate(
        {
          caCertificate: c.body.caCertificate,
          verificationCertificate: c.body.verificationCertificate ?? undefined,
          certificateMode: str(c.body.certificateMode, 'certificateMode'),
          setAsActive: c.query.bool('setAsActive') ?? false,
          allowAutoRegistration: c.query.bool('allowAutoRegistration') ?? false,
        },
        c.region,
        c.body.tags,
      ),
    ),
    r('DescribeCACertificate', 'GET', '/cacertificate/{caCertificateId}', false, (c) => reg.describeCaCertificate(c.params.caCertificateId!)),
    r('ListCACertificates', 'GET', '/cacertificates', false, (c) => reg.listCaCertificates(markerPaging(c, 'isAscendingOrder'))),
    r('UpdateCACertificate', 'PUT', '/cacertificate/{caCertificateId}', true, (c) =>
      reg.updateCaCertificate(c.params.caCertificateId!, { newStatus: c.query.str('newStatus'), newAutoRegistrationStatus: c.query.str('newAutoRegistrationStatus') }),
    ),
    r('DeleteCACertificate', 'DELETE', '/cacertificate/{caCertificateId}', true, (c) => reg.deleteCaCertificate(c.params.caCertificateId!)),
    r('RegisterCertificate', 'POST', '/certificate/register', true, (c) =>
      reg.registerCertificate({ certificatePem: c.body.certificatePem, caCertificatePem: c.body.caCertificatePem, status: c.body.status, setAsActive: c.query.bool('setAsActive') }, c.region),
    ),
    r('RegisterCertificateWithoutCA', 'POST', '/certificate/register-no-ca', true, (c) => reg.registerCertificateWithoutCa({ certificatePem: c.body.certificatePem, status: c.body.status }, c.region)),
  ];
}
