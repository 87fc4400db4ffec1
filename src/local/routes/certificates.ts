import { X509Certificate } from 'node:crypto';
import { markerPaging, route as r, type ApiOptions, type Route } from './route.js';

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
  ];
}
