// Kubernetes' own name rules (k8s.io/apimachinery/pkg/util/validation), for asserting derived names.
const label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && new RegExp(`^${label}$`).test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && new RegExp(`^${label}(\\.${label})*$`).test(s);
}

export function isDns1035Label(s: string): boolean {
  return s.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(s);
}

export function isLabelValue(s: string): boolean {
  return s.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(s);
}
