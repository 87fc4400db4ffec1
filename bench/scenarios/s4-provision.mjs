export async function scenario4() { throw new Error("not written yet"); }
