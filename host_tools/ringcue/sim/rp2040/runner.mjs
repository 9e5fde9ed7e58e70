// The emulated Pico: MicroPython's RPI_PICO firmware on rp2040js (an RP2040
// emulator), driven by ringcue's VirtualPico (host_tools/ringcue/sim/pico.py).
//
//   fd 0/1   the Pico's USB CDC serial (a pty the host relays to the user)
//   fd N     control lines from the host (same protocol as the unix board's
//            simhw.py):  "T <ms>"  the clock may run up to <ms>
//                        "E <ms> <pin> <v>"  input <pin> becomes <v> at <ms>
//                        "C <n>"  cut the power in the middle of the n-th
//                                 flash program from now (then exit)
//   fd M     control lines to the host:  "O <ms> <pin> <v>"  output changed,
//            "I <ms>" the chip got to <ms> (everything before was done), "B" started, "F <bytes> <erases>"
//            flash wear, "P" the power was cut (C), "X <ms> <kind>" the chip reset itself, "Y <ms>"
//            the firmware (or the REPL) answered after a boot
// Times are the host's ms: chip time since power-on + the host time at power-on.
//
// Stock rp2040js 1.4.1 lacks six things a real Pico has; each is worked
// around here from outside (see docs/virtual-board.md):
//  1 flash erase/program: the bootrom's two routines are patched to BKPT+BX LR
//    and done here (NOR semantics), written through to the board's flash file
//  2 USB CDC input: an unbounded queue; an OUT transfer completes only with data
//  3 UART TX interrupt raised only by a write to the data register
//  4 watchdog / machine.reset(): the chip is rebuilt with the same flash
//  5 an output pin reads back its driven level
//  6 no busy-wait while the firmware sleeps with nothing scheduled
// and the flash chip's unique id (command 0x4B) answers the board's own id.
import fs from 'node:fs';
import { RP2040, USBCDC } from 'rp2040js';

const args = parseArgs(process.argv.slice(2));
const FLASH_SIZE = 2 * 1024 * 1024; // the Pico's W25Q16JV
const SECTOR = 4096;
const NS_PER_CYCLE = 8; // 125 MHz
const LEASE_NS = 200e6; // after serial traffic, timers due within 200 ms fire
const BOOT_LEASE_NS = 5e9; // a boot runs until the firmware or the REPL answers (at most 5 s)
const logFd = args.log ? fs.openSync(args.log, 'a') : 2;
let logLines = 0;

function log(msg) {
  if (logLines++ < 2000 && !/SIO address/.test(msg)) fs.writeSync(logFd, `${new Date().toISOString()} ${msg}\n`);
}
// rp2040js prints some warnings with console.warn (e.g. the SIO's, on every
// soft reset); stdout and stderr are the Pico's serial line: keep them off it
for (const k of ['log', 'info', 'warn', 'error', 'debug']) console[k] = (...a) => log(a.join(' '));
process.on('uncaughtException', (e) => {
  log(`fatal: ${e.stack || e}`);
  process.exit(70);
});

function parseArgs(argv) {
  const out = { in: [], out: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (k === 'in' || k === 'out') out[k].push(argv[i + 1]);
    else out[k] = argv[i + 1];
  }
  return out;
}

// ---- the board's flash chip: a file of FLASH_SIZE bytes, written through ----
const flashFd = fs.openSync(args.flash, fs.existsSync(args.flash) ? 'r+' : 'w+');
const flashImage = new Uint8Array(FLASH_SIZE).fill(0xff);
fs.readSync(flashFd, flashImage, 0, FLASH_SIZE, 0);
if (fs.fstatSync(flashFd).size !== FLASH_SIZE) fs.writeSync(flashFd, flashImage, 0, FLASH_SIZE, 0);
if (args.firmware) writeUF2(fs.readFileSync(args.firmware));

function writeUF2(uf2) {
  // what the BOOTSEL drive does with a UF2: program each block's payload
  for (let off = 0; off + 512 <= uf2.length; off += 512) {
    const b = new DataView(uf2.buffer, uf2.byteOffset + off, 512);
    if (b.getUint32(0, true) !== 0x0a324655 || b.getUint32(4, true) !== 0x9e5d5157) continue;
    const addr = b.getUint32(12, true) - 0x10000000;
    const size = b.getUint32(16, true);
    if (addr < 0 || addr + size > FLASH_SIZE) continue;
    const payload = uf2.subarray(off + 32, off + 32 + size);
    if (!payload.every((v, i) => flashImage[addr + i] === v)) {
      flashImage.set(payload, addr);
      fs.writeSync(flashFd, flashImage, addr, size, addr);
    }
  }
}

const uid = Buffer.from(args.uid || '0000000000000000', 'hex');
const bootrom = new Uint32Array(fs.readFileSync(args.bootrom).buffer.slice(0, 16384));
const pinsIn = new Map(args.in.map((s) => { const [n, g, v] = s.split('='); return [n, { gpio: +g, level: +v }]; }));
const pinsOut = args.out.map((s) => { const [n, g] = s.split('='); return { name: n, gpio: +g, level: -1 }; });

// ---- host I/O ----------------------------------------------------------------
const ctlOut = +args.cout;
let serialOut = []; // bytes for the host, kept when the pty is full
let rxQueue = []; // host -> Pico bytes (Buffers) not taken by the USB stack yet
let ctlBuf = '';
let events = []; // [ms, pinName, level] sorted by time
let targetMs = +args.t0;
let cutAfter = -1; // flash programs left before a requested power cut
let wake = null;

function send(line) {
  fs.writeSync(ctlOut, line + '\n');
}
function wakeUp() {
  if (wake) { const w = wake; wake = null; w(); }
}
function readLoop(fd, onData, onEnd) {
  const buf = Buffer.alloc(65536);
  fs.read(fd, buf, 0, buf.length, null, (err, n) => {
    if (err && err.code === 'EAGAIN') return setTimeout(() => readLoop(fd, onData, onEnd), 5);
    if (err || n === 0) return onEnd();
    onData(Buffer.from(buf.subarray(0, n)));
    wakeUp();
    readLoop(fd, onData, onEnd);
  });
}
readLoop(+args.cin, (data) => {
  ctlBuf += data.toString();
  const lines = ctlBuf.split('\n');
  ctlBuf = lines.pop();
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'T') targetMs = Math.max(targetMs, +f[1]);
    else if (f[0] === 'E') addEvent(+f[1], f[2], +f[3]);
    else if (f[0] === 'C') { cutAfter = +f[1]; log(`power cut armed: flash program ${cutAfter} from now`); }
  }
}, () => process.kill(process.pid, 'SIGKILL')); // the host went away: power off
readLoop(0, (data) => {
  rxQueue.push(data);
  serialActive();
  feedUSB();
}, () => {});

function addEvent(ms, pin, level) {
  let i = events.length;
  while (i > 0 && events[i - 1][0] > ms) i--;
  events.splice(i, 0, [ms, pin, level]);
}

function flushSerial() {
  while (serialOut.length) {
    try {
      const n = fs.writeSync(1, serialOut[0]);
      if (n < serialOut[0].length) { serialOut[0] = serialOut[0].subarray(n); return; }
      serialOut.shift();
    } catch (e) {
      if (e.code === 'EAGAIN') return;
      serialOut = [];
    }
  }
}

// ---- the chip ------------------------------------------------------------------
let mcu, cdc, clock, pendingRead = -1, resetKind = null, baseMs = +args.t0, leaseNs = -1;
let readyScan = '', fwReady = false;

function hostMs() {
  return baseMs + Math.floor(clock.nanos / 1e6);
}
function serialActive() {
  if (clock) leaseNs = Math.max(leaseNs, clock.nanos + LEASE_NS);
}

function buildChip() {
  mcu = new RP2040();
  clock = mcu.clock;
  mcu.logger = {
    debug() {}, info() {},
    warn: (c, m) => { if (!/SIO|Unimplemented|address: 14/.test(m)) log(`[${c}] ${m}`); },
    error: (c, m) => log(`[${c}] error: ${m}`),
  };
  mcu.loadBootrom(bootrom); // resets the core and blanks the emulator's flash
  mcu.flash.set(flashImage);
  patchFlashRoutines();
  patchUniqueId();
  patchUART();
  Object.defineProperty(mcu, 'gpioValues', { get: gpioReadback }); // gap 5
  const wd = mcu.peripherals[0x40058];
  wd.onWatchdogTrigger = () => { // gap 4: rebuilt in the run loop
    resetKind = wd.reason === 2 ? 'machine.reset' : 'watchdog';
    wd.alarm.enable = false; // or the alarm re-fires at this instant forever
  };
  for (const [, p] of pinsIn) mcu.gpio[p.gpio].setInputValue(!!p.level);
  for (const p of pinsOut) {
    p.level = -1;
    mcu.gpio[p.gpio].addListener(observeOutputs);
  }
  const pwmWrite = mcu.pwm.writeUint32.bind(mcu.pwm);
  mcu.pwm.writeUint32 = (o, v) => { pwmWrite(o, v); observeOutputs(); };
  attachUSB();
  mcu.core.PC = 0x10000000; // boot2 in flash, as the bootrom would jump to it
  readyScan = '';
  fwReady = false;
  leaseNs = BOOT_LEASE_NS;
}

// gap 1: flash_range_erase ('R','E') and flash_range_program ('R','P')
function patchFlashRoutines() {
  const rom = new DataView(mcu.bootrom.buffer);
  const table = rom.getUint16(0x14, true);
  for (let p = table; rom.getUint16(p, true); p += 4) {
    const code = rom.getUint16(p, true);
    const fn = rom.getUint16(p + 2, true) & ~1;
    const bkpt = code === (0x52 | (0x45 << 8)) ? 1 : code === (0x52 | (0x50 << 8)) ? 2 : 0;
    if (bkpt) {
      rom.setUint16(fn, 0xbe00 | bkpt, true); // BKPT #n
      rom.setUint16(fn + 2, 0x4770, true); // BX LR
    }
  }
  mcu.onBreak = (n) => {
    const r = mcu.core.registers;
    if (n === 1) flashErase(r[0] >>> 0, r[1] >>> 0);
    else if (n === 2) flashProgram(r[0] >>> 0, r[1] >>> 0, r[2] >>> 0);
    else log(`breakpoint ${n} at ${(mcu.core.PC - 2).toString(16)}`);
  };
}

function flashErase(addr, count) {
  const start = addr - (addr % SECTOR);
  const end = Math.min(FLASH_SIZE, Math.ceil((addr + count) / SECTOR) * SECTOR);
  if (start >= end) return;
  flashImage.fill(0xff, start, end);
  mcu.flash.fill(0xff, start, end);
  fs.writeSync(flashFd, flashImage, start, end - start, start);
  send(`F 0 ${(end - start) / SECTOR}`);
}

function flashProgram(addr, data, count) {
  if (addr + count > FLASH_SIZE) count = Math.max(0, FLASH_SIZE - addr);
  if (cutAfter >= 0 && cutAfter-- === 0) { // the power dies half way through this page
    count >>= 1;
    for (let i = 0; i < count; i++) flashImage[addr + i] &= mcu.readUint8(data + i);
    fs.writeSync(flashFd, flashImage, addr, count, addr);
    send('P');
    process.kill(process.pid, 'SIGKILL'); // at once (process.exit can hang on a blocked tty read)
  }
  for (let i = 0; i < count; i++) {
    const v = flashImage[addr + i] & mcu.readUint8(data + i); // NOR: bits only clear
    flashImage[addr + i] = v;
    mcu.flash[addr + i] = v;
  }
  fs.writeSync(flashFd, flashImage, addr, count, addr);
  send(`F ${count} 0`);
}

// The flash's unique id: pico-sdk reads it at boot with command 0x4B (then 4
// dummy bytes, then 8 id bytes) through the SSI while it drives chip-select
// low via IO_QSPI's SS override. Stock rp2040js answers zeros.
function patchUniqueId() {
  const ssi = mcu.peripherals[0x18000];
  const ioqspi = {
    regs: new Uint32Array(12),
    // CTRL registers keep what was written; STATUS reads as stock (all ones)
    readUint32(o) { return o < 48 && o & 4 ? this.regs[o >> 2] : 0xffffffff; },
    writeUint32(o, v) {
      if (o === 0x0c && ((v >> 8) & 3) === 2 && ((this.regs[3] >> 8) & 3) !== 2) {
        ssiPos = 0; // chip-select asserted: a new command
        ssiRx.length = 0;
      }
      if (o < 48) this.regs[o >> 2] = v;
    },
    writeUint32Atomic(o, v, type) {
      const cur = this.readUint32(o);
      this.writeUint32(o, type === 1 ? cur ^ v : type === 2 ? cur | v : type === 3 ? cur & ~v : v);
    },
  };
  mcu.peripherals[0x40018] = ioqspi;
  let ssiPos = 0, ssiCmd = 0;
  const ssiRx = []; // the receive FIFO: one byte per byte sent, as SPI does
  const read = ssi.readUint32.bind(ssi), write = ssi.writeUint32.bind(ssi);
  ssi.writeUint32 = (o, v) => {
    if (o === 0x08 && !(v & 1)) { ssiPos = 0; ssiRx.length = 0; } // SSIENR off: FIFOs flushed
    if (o !== 0x60) return write(o, v);
    if (ssiPos === 0) ssiCmd = v & 0xff;
    if (ssiRx.length < 16) ssiRx.push(ssiCmd === 0x4b && ssiPos >= 5 && ssiPos < 13 ? uid[ssiPos - 5] : 0);
    ssiPos++;
  };
  ssi.readUint32 = (o) => {
    if (o === 0x60) return ssiRx.length ? ssiRx.shift() : 0; // DR0
    if (o === 0x24) return ssiRx.length; // RXFLR
    if (o === 0x20) return 0; // TXFLR: sent at once
    if (o === 0x28) return 0x6 | (ssiRx.length ? 0x8 : 0); // SR: TFE, TFNF, RFNE
    return read(o);
  };
}

// gap 3: the TX interrupt only after a write to the data register
function patchUART() {
  for (const u of mcu.uart) {
    u.checkInterrupts = function () {
      this.rp2040.setInterrupt(this.irq, !!(this.interruptStatus & this.interruptMask));
    };
    const w = u.writeUint32.bind(u);
    u.writeUint32 = (o, v) => {
      w(o, v);
      if (o === 0) { u.interruptStatus |= 1 << 5; u.checkInterrupts(); }
    };
  }
}

function gpioReadback() {
  let result = 0;
  mcu.gpio.forEach((p, i) => {
    const v = p.outputEnable ? p.outputValue : p.inputValue;
    if (v) result |= 1 << i;
  });
  return result;
}

// LED / buzzer: a PWM-driven pin counts as on while its slice runs with a
// non-zero duty (its edges at 2.7 kHz are not news for the host).
function outputLevel(g) {
  const pin = mcu.gpio[g];
  if (pin.functionSelect === 4) {
    const ch = mcu.pwm.channels[(g >> 1) & 7];
    const cc = g & 1 ? ch.cc >>> 16 : ch.cc & 0xffff;
    return ch.csr & 1 && cc > 0 ? 1 : 0;
  }
  return pin.outputEnable && pin.outputValue ? 1 : 0;
}
function observeOutputs() {
  for (const p of pinsOut) {
    const v = outputLevel(p.gpio);
    if (v !== p.level) {
      p.level = v;
      send(`O ${hostMs()} ${p.name} ${v}`);
    }
  }
}

// gap 2: host -> device bytes wait in rxQueue until the stack asks for them
function attachUSB() {
  cdc = new USBCDC(mcu.usbCtrl);
  pendingRead = -1;
  cdc.onDeviceConnected = () => log(`usb connected at ${hostMs()} ms`);
  cdc.onSerialData = (buf) => {
    serialOut.push(Buffer.from(buf));
    serialActive();
    scanReady(buf);
  };
  mcu.usbCtrl.onEndpointRead = (ep, size) => {
    if (ep !== cdc.outEndpoint) return;
    pendingRead = size;
    feedUSB();
  };
}
function feedUSB() {
  if (pendingRead < 0 || !rxQueue.length || !cdc) return;
  const out = [];
  let n = pendingRead;
  while (n > 0 && rxQueue.length) {
    const head = rxQueue[0];
    const take = Math.min(n, head.length);
    out.push(head.subarray(0, take));
    n -= take;
    if (take === head.length) rxQueue.shift();
    else rxQueue[0] = head.subarray(take);
  }
  pendingRead = -1;
  mcu.usbCtrl.endpointReadDone(cdc.outEndpoint, Buffer.concat(out));
}
// "Y": the firmware's ready banner or a REPL prompt came out after a boot
// (a power-on, a reset, or MicroPython's soft reboot)
function scanReady(buf) {
  readyScan = (readyScan + Buffer.from(buf).toString('latin1')).slice(-300);
  const soft = readyScan.lastIndexOf('soft reboot');
  if (soft >= 0) {
    fwReady = false;
    readyScan = readyScan.slice(soft + 11);
  }
  if (!fwReady && /: ready \(boot |>>> |raw REPL/.test(readyScan)) {
    fwReady = true;
    leaseNs = Math.min(leaseNs, clock.nanos + LEASE_NS); // a boot is over: back to the host's clock
    send(`Y ${hostMs()}`);
  }
}

// ---- the run loop ----------------------------------------------------------------
function applyDueEvents() {
  while (events.length && events[0][0] <= hostMs()) {
    const [, name, level] = events.shift();
    const p = pinsIn.get(name);
    if (p) { p.level = level; mcu.gpio[p.gpio].setInputValue(!!level); }
  }
}

function run(limitNs, skipNs, eventNs) {
  // Execute, firing alarms due up to limitNs. A busy core runs on past it
  // (a request being answered is not frozen half way); a core asleep with
  // nothing due before limitNs jumps to skipNs and stops (gap 6: no spin).
  // Returns true while there is more to do now.
  const { core } = mcu;
  const stopAt = performance.now() + 20;
  let n = 0;
  while (resetKind === null) {
    if (clock.nanos >= eventNs) return true;
    if (core.waiting) {
      const next = clock.nextAlarm ? clock.nextAlarm.nanos : Infinity;
      if (next <= limitNs) clock.tick(next - clock.nanos);
      else {
        if (skipNs > clock.nanos) clock.tick(Math.min(skipNs, limitNs) - clock.nanos);
        return clock.nanos >= eventNs; // at an input change: apply it and go on
      }
    } else {
      clock.tick(core.executeInstruction() * NS_PER_CYCLE);
    }
    if ((++n & 0x3fff) === 0 && performance.now() > stopAt) return true;
  }
  return true;
}

async function main() {
  buildChip();
  send('B');
  let lastIdle = -1;
  for (;;) {
    if (resetKind !== null) {
      const wd = mcu.peripherals[0x40058];
      const scratch = wd.scratchData.slice(), reason = wd.reason, kind = resetKind;
      const at = hostMs();
      resetKind = null;
      baseMs = at;
      rxQueue = []; // bytes in flight while the board resets are lost
      buildChip();
      const nwd = mcu.peripherals[0x40058]; // the watchdog's registers survive its reset
      nwd.scratchData.set(scratch);
      nwd.reason = reason;
      send(`X ${at} ${kind}`);
    }
    applyDueEvents();
    const targetNs = (targetMs - baseMs) * 1e6;
    const nextEventNs = events.length ? (events[0][0] - baseMs) * 1e6 : Infinity;
    const limitNs = Math.min(Math.max(targetNs, leaseNs), nextEventNs);
    const busy = run(limitNs, Math.min(targetNs, nextEventNs), nextEventNs);
    applyDueEvents();
    flushSerial();
    // where the chip is: the host's wait_idle, and where a power cut leaves
    // the line's pending inputs (all up to here were applied)
    const now = hostMs();
    if (now !== lastIdle) {
      send(`I ${now}`);
      lastIdle = now;
    }
    if (busy || resetKind !== null || (events.length && events[0][0] <= hostMs())) {
      await new Promise((r) => setImmediate(r)); // let the host's bytes in
      continue;
    }
    if (serialOut.length) await new Promise((r) => setTimeout(r, 2));
    else await new Promise((r) => { wake = r; });
  }
}

main();
