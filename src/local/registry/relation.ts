/** A many-to-many relation kept in both directions, in insertion order. */
export class Relation {
  private readonly fwd = new Map<string, Set<string>>();
  private readonly back = new Map<string, Set<string>>();

  add(a: string, b: string): boolean {
    if (this.has(a, b)) return false;
    let f = this.fwd.get(a);
    if (!f) this.fwd.set(a, (f = new Set()));
    f.add(b);
    let r = this.back.get(b);
    if (!r) this.back.set(b, (r = new Set()));
    r.add(a);
    return true;
  }

  delete(a: string, b: string): boolean {
    const f = this.fwd.get(a);
    if (!f?.delete(b)) return false;
    if (f.size === 0) this.fwd.delete(a);
    const r = this.back.get(b)!;
    r.delete(a);
    if (r.size === 0) this.back.delete(b);
    return true;
  }

  has(a: string, b: string): boolean {
    return this.fwd.get(a)?.has(b) ?? false;
  }

  /** the b's related to a */
  of(a: string): string[] {
    return [...(this.fwd.get(a) ?? [])];
  }

  /** the a's related to b */
  to(b: string): string[] {
    return [...(this.back.get(b) ?? [])];
  }

  pairs(): [string, string][] {
    const out: [string, string][] = [];
    for (const [a, bs] of this.fwd) for (const b of bs) out.push([a, b]);
    return out;
  }
}
