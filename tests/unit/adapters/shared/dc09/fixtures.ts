/**
 * DC-09 frames from the standard and from independent implementations, byte for byte.
 * Each `wire` is the frame between <LF> and <CR>; `frame()` adds them.
 */

export const frameOf = (wire: string): Buffer => Buffer.from(`\n${wire}\r`, 'latin1');

export const FIXTURES = {
  /**
   * ANSI/SIA DC-09-2013 5.5.1 example (SIA DC-03 payload). Quoted in eavanvalkenburg/pysiaalarm
   * tests/test_sia_package_cases.py `case_dc04` with a truncated timestamp appended; CRC CE11 and
   * length 0x32 verify for the frame without it, which is the standard's text.
   */
  standardSia: 'CE110032"SIA-DCS"9876R579BDFL789ABC#12345A[#12345A|NFA129]',
  /**
   * ANSI/SIA DC-09-2013 5.5.1 example (Contact ID payload), quoted in the same pysiaalarm file as
   * `case_adm_cid` (again with a timestamp appended that the CRC 87CD / length 0x37 do not cover).
   */
  standardCid: '87CD0037"ADM-CID"9876R579BDFL789ABC#12345A[#12345A|1110 00 129]',
  /** fioletoven/dc09 common/src/dc09/message.tests.rs `to_string_test` (encoder output). */
  fioletovenReceiverLine: 'F4D20029"SIA-DCS"0001RF3L77#1234[#1234|NRR|Atest]',
  /** fioletoven/dc09 message.tests.rs `parse_message_test`: empty data. */
  fioletovenEmpty: '96ED0016"SIA-DCS"0001L0#1234[]',
  /** fioletoven/dc09 message.tests.rs `parse_nak_test`: a receiver's NAK. */
  fioletovenNak: 'E4410025"NAK"0000R0L0A0[]_16:20:01,09-24-2025',
  /** fioletoven/dc09 common/src/dc09/parser.rs doc comment of `parse_dc09`: no `L` at all. */
  fioletovenNoLine: '3BAC0029"SIA-DCS"0002#0123[#0123|Nti20:50:26RP99]',
  /** schmupu/ioBroker.sia issue #11 log: the NAK that receiver sent (real traffic). */
  iobrokerNak: '3C3B0025"NAK"0000R0L0A0[]_15:39:35,05-07-2019',
  /** schmupu/ioBroker.sia issue #11 log: a real panel's NULL supervision frame, bare `L`. */
  iobrokerPanelNull: 'BB86002C"NULL"0001L#7303658550[]_15:39:38,06-07-2019',
  /** Supergiovane/node-red-contrib-sia-ultimate issue #2 log: a real panel's SIA-DCS event. */
  noderedPanelEvent: '9337003A"SIA-DCS"1706L0#0000[#0000|Nri1/NP501]_13:36:04,12-22-2021',
  /**
   * pysiaalarm tests `case_adm_cid2`: CRC 5715 is right, the length field 0047 is the body
   * length (47) in decimal — a sender quirk the decoder tolerates because the CRC holds.
   */
  pysiaDecimalLength: '57150047"ADM-CID"0247R4F39L4F39#4F39[#4F39|3401 01 057]',
  /**
   * pysiaalarm tests `case_xdata_X_and_Y` with ACCOUNT=1111: CRC 5B09 verifies, but the length
   * field 0059 matches neither 0x5B nor 91 → refused as 'length'.
   */
  pysiaBadLength:
    '5B090059"SIA-DCS"0004L0#1111[#1111|Nri1/PA501][X006E07.7777777][Y49N06.6666666]_20:45:46,04-22-2021',
  /**
   * pysiaalarm tests `case_bug` ("Test case from #11"): the CRC field 9618 does not match the
   * content (B7C9) → a receiver must not answer.
   */
  pysiaBadCrc: '9618004D"SIA-DCS"7960L0#123456[#123456|Nri1CL0^VX FRONTE ^]_22:40:48,04-11-2021',
  /**
   * pysiaalarm tests `case_null`: encrypted NULL, key = ASCII "AAAAAAAAAAAAAAAA" (tests/
   * encrypted_config.json). Decrypts to `ppppppppppp]_18:24:52,07-05-2020`: 11 pad bytes and
   * no `|` terminator — tolerated ('pad-terminator-missing').
   */
  pysiaEncryptedNull: '76D80055"*NULL"0000R0L0#AAAB[B4BC8B40D0E6D959D6BEA78E88CC0B2155741A3C44FBB96D476A3E557CAD64D9',
  /**
   * Generated with jvanovost/dc09_spt (commit a76f994, dc09_msg.dc09block + dc05_msg.dc05event,
   * Python `cryptography`) on 2026-11-23: ADM-CID panic 1120 01 015, account 1234, sequence 7,
   * R0 L0, AES-128 key 000102…0F. Plain text: pad `Ey}\`3HQo7`, `|#1234|1120 01 015]_01:48:25,11-23-2026`.
   */
  dc09sptAes128Cid:
    'C9740078"*ADM-CID"0007R0L0#1234[4622C3B392A64A0A90D20F9B89E2218CE71A423680859E2F9926888A2D1153DB1053F753106EC53FE1592346C3D9F4B4',
  /**
   * Same tool and date: SIA-DCS `#1234|Nri1PA501`, sequence 42, R1F L2, AES-256 key 000102…1F.
   * Its pad contains control bytes (0x1D, 0x19), which 5.4.4.2 allows.
   */
  dc09sptAes256Sia:
    'EBF10079"*SIA-DCS"0042R1FL2#1234[139EDF0D6E88BED64EB122BF532A9C12B73C7857A5819BFAB5782351B7A63CC124A07FF2F1C7D82CFD3E766110FA6063',
  /** Same tool: unencrypted SIA-DCS and ADM-CID of the same events (no timestamp). */
  dc09sptPlainSia: 'D5010025"SIA-DCS"0003L0#1234[#1234|Nri1PA501]',
  dc09sptPlainCid: '72E80027"ADM-CID"0004L0#1234[#1234|1120 01 015]',
} as const;

export const KEYS = {
  pysiaAscii: Buffer.from('AAAAAAAAAAAAAAAA', 'latin1'),
  aes128: Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'),
  aes256: Buffer.from('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', 'hex'),
} as const;

/** 2026-11-23T01:48:25Z, the instant in the dc09_spt fixtures' timestamps. */
export const DC09SPT_TIME = Date.UTC(2026, 10, 23, 1, 48, 25);
