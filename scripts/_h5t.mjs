import h5wasm from 'h5wasm/node';
const M = await h5wasm.ready;
console.log(typeof h5wasm.FS, typeof M.FS, Object.keys(h5wasm));
const walk = (g, p='') => { for (const k of g.keys()) { const c = g.get(p? k : k); const path = (p?p+'/':'')+k; if (c && c.keys) { const a = Object.keys(c.attrs); console.log('G', path, a.length? JSON.stringify(Object.fromEntries(a.map(x=>[x, String(c.attrs[x].value).slice(0,80)]))) : ''); walk2(c, path);} else console.log('D', path, c.shape, c.dtype); } };
const walk2 = (g, path) => { for (const k of g.keys()) { const c = g.get(k); const p2 = path+'/'+k; if (c && c.keys) { const a = Object.keys(c.attrs); console.log('G', p2, a.length? JSON.stringify(Object.fromEntries(a.map(x=>[x, String(c.attrs[x].value).slice(0,80)]))) : ''); walk2(c, p2);} else console.log('D', p2, c.shape, c.dtype); } };
for (const p of process.argv.slice(2)) { console.log('=====', p); const f = new h5wasm.File(p,'r'); console.log('root attrs', Object.keys(f.attrs)); walk2(f, ''); f.close(); }
