const D=require('better-sqlite3');
const dir=process.argv[2];
for (const f of ['file:'+dir+'/a.sqlite?immutable=1','file:'+dir+'/a.sqlite?mode=ro&immutable=1', 'file://'+dir+'/a.sqlite?immutable=1']) {
try { const r=new D(f,{readonly:true}); console.log(f, r.prepare('select * from t').all()); } catch(e){console.log('ERR',f,e.code,e.message)}
try { const r=new D(f,{readonly:true, fileMustExist:true}); console.log(f, r.prepare('select * from t').all()); } catch(e){console.log('ERR fme',f,e.code,e.message)}
}
