/**
 * Byte-exact CMPP frames, written field by field from the specifications' message tables
 * (CMPP 2.0, 2002: §7.3 header, §7.4.x messages; CMPP 3.0.0: §8.3, §8.4.x) and not from the
 * project's encoder. The MD5 authenticators were computed with Python's hashlib from the
 * spec's formulas; the Msg_Id follows the bit layout of §7.4.3.2 / §8.4.3.2 (month 11, day 3,
 * 14:05:09, ISMG 571001, sequence 1 → b1b85248b6790001, checked bit by bit).
 */
export const hex = (...parts: string[]): Buffer => Buffer.from(parts.join(''), 'hex');

/** The report's Msg_Id in the fixtures (the SUBMIT_RESP's), and the DELIVERs' own. */
export const MSG_ID = 0xb1b85248b6790001n;
export const DELIVER_MSG_ID = 0xb1b85308b6790002n;

/** CMPP_CONNECT offering 2.0 (CMPP 2.0 §7.4.1.1 / 3.0 §8.4.1.1): SP 901234, secret 'secret0', 11-03 14:05:09 */
export const CONNECT_20 = hex(
  '000000270000000100000001', // header: Total_Length 39, Command_Id CMPP_CONNECT, Sequence_Id 1
  '393031323334', // Source_Addr '901234'
  'd42ed1a529ec68d7c935a6b2cceedec1', // AuthenticatorSource = MD5('901234' + 9 × 0x00 + 'secret0' + '1103140509')
  '20', // Version 0x20
  '41c0969d', // Timestamp 1103140509 (MMDDHHMMSS as an integer)
);

/** CMPP_CONNECT offering 3.0 (CMPP 2.0 §7.4.1.1 / 3.0 §8.4.1.1): SP 901234, secret 'secret0', 11-03 14:05:09 */
export const CONNECT_30 = hex(
  '000000270000000100000001', // header: Total_Length 39, Command_Id CMPP_CONNECT, Sequence_Id 1
  '393031323334', // Source_Addr '901234'
  'd42ed1a529ec68d7c935a6b2cceedec1', // AuthenticatorSource = MD5('901234' + 9 × 0x00 + 'secret0' + '1103140509')
  '30', // Version 0x30
  '41c0969d', // Timestamp 1103140509 (MMDDHHMMSS as an integer)
);

/** CMPP_CONNECT_RESP, 2.0 layout (§7.4.1.2): Status 0 in one octet */
export const CONNECT_RESP_20 = hex(
  '0000001e8000000100000001', // header: Total_Length 30, Command_Id CMPP_CONNECT_RESP, Sequence_Id 1
  '00', // Status 0 (correct), 1 octet
  'e7f6b1a079ad0b5bfb454f7e58992d94', // AuthenticatorISMG = MD5(0x00 + AuthenticatorSource + 'secret0')
  '20', // Version 0x20
);

/** CMPP_CONNECT_RESP, 3.0 layout (§8.4.1.2): Status 0 in four octets */
export const CONNECT_RESP_30 = hex(
  '000000218000000100000001', // header: Total_Length 33, Command_Id CMPP_CONNECT_RESP, Sequence_Id 1
  '00000000', // Status 0 (correct), 4 octets
  '827c54a048816389e9aece4136cd4aaf', // AuthenticatorISMG = MD5(00000000 + AuthenticatorSource + 'secret0')
  '30', // Version 0x30
);

/** CMPP_CONNECT_RESP refusing a wrong secret (§7.4.1.2): Status 3, AuthenticatorISMG empty */
export const CONNECT_RESP_20_AUTH = hex(
  '0000001e8000000100000001', // header: Total_Length 30, Command_Id CMPP_CONNECT_RESP, Sequence_Id 1
  '03', // Status 3 (authentication error)
  '00000000000000000000000000000000', // AuthenticatorISMG: empty when authentication failed
  '20', // Version 0x20
);

/** CMPP_SUBMIT, 2.0 layout (§7.4.3.1): '收到' to 13800138000, one part */
export const SUBMIT_20 = hex(
  '000000a30000000400000011', // header: Total_Length 163, Command_Id CMPP_SUBMIT, Sequence_Id 17
  '0000000000000000', // Msg_Id: zeros from the SP (the ISMG assigns it)
  '0101', // Pk_total 1, Pk_number 1
  '01', // Registered_Delivery 1: status report requested
  '00', // Msg_level 0
  '4d4a5330303031000000', // Service_Id 'MJS0001'
  '02', // Fee_UserType 2 (the SP pays)
  '000000000000000000000000000000000000000000', // Fee_terminal_Id: 21 octets in 2.0, empty
  '000008', // TP_pId 0, TP_udhi 0, Msg_Fmt 8 (UCS-2)
  '393031323334', // Msg_src '901234'
  '3031', // FeeType '01' (free)
  '300000000000', // FeeCode '0'
  '0000000000000000000000000000000000', // ValId_Time: empty
  '0000000000000000000000000000000000', // At_Time: empty
  '313036353731303030310000000000000000000000', // Src_Id '1065710001'
  '01', // DestUsr_tl 1
  '313338303031333830303000000000000000000000', // Dest_terminal_Id '13800138000', 21 octets in 2.0
  '04', // Msg_Length 4
  '65365230', // Msg_Content '收到' in UCS-2 (U+6536 U+5230)
  '0000000000000000', // Reserve: 8 octets
);

/** CMPP_SUBMIT, 3.0 layout (§8.4.3.1): part 1 of 2 of a long message */
export const SUBMIT_30_LONG_PART = hex(
  '000000cd0000000400000012', // header: Total_Length 205, Command_Id CMPP_SUBMIT, Sequence_Id 18
  '0000000000000000', // Msg_Id: zeros from the SP
  '0201', // Pk_total 2, Pk_number 1: first part of two
  '01', // Registered_Delivery 1
  '00', // Msg_level 0
  '4d4a5330303031000000', // Service_Id 'MJS0001'
  '02', // Fee_UserType 2
  '0000000000000000000000000000000000000000000000000000000000000000', // Fee_terminal_Id: 32 octets in 3.0, empty
  '00', // Fee_terminal_type 0 (3.0 only)
  '000108', // TP_pId 0, TP_udhi 1 (a UDH leads Msg_Content), Msg_Fmt 8
  '393031323334', // Msg_src '901234'
  '3031', // FeeType '01'
  '300000000000', // FeeCode '0'
  '0000000000000000000000000000000000', // ValId_Time: empty
  '0000000000000000000000000000000000', // At_Time: empty
  '313036353731303030310000000000000000000000', // Src_Id '1065710001' (21 octets in both versions)
  '01', // DestUsr_tl 1
  '3133383030313338303030000000000000000000000000000000000000000000', // Dest_terminal_Id '13800138000', 32 octets in 3.0
  '00', // Dest_terminal_type 0 (3.0 only)
  '0a', // Msg_Length 10
  '0500037b0201', // UDH: UDHL 5, IE 0x00 (concatenation, 8-bit ref) length 3: ref 0x7b, 2 parts, part 1 (TS 23.040 §9.2.3.24.1)
  '7d276025', // '紧急' in UCS-2
  '0000000000000000000000000000000000000000', // LinkID: 20 octets (3.0 only)
);

/** CMPP_SUBMIT_RESP, 2.0 layout (§7.4.3.2): Result in one octet */
export const SUBMIT_RESP_20 = hex(
  '000000158000000400000011', // header: Total_Length 21, Command_Id CMPP_SUBMIT_RESP, Sequence_Id 17
  'b1b85248b6790001', // Msg_Id: month 11, day 3, 14:05:09, ISMG 571001, sequence 1
  '00', // Result 0
);

/** CMPP_SUBMIT_RESP, 3.0 layout (§8.4.3.2): Result in four octets */
export const SUBMIT_RESP_30 = hex(
  '000000188000000400000012', // header: Total_Length 24, Command_Id CMPP_SUBMIT_RESP, Sequence_Id 18
  'b1b85248b6790001', // Msg_Id
  '00000000', // Result 0
);

/** CMPP_SUBMIT_RESP refusing for flow control (§7.4.3.2 Result 8) */
export const SUBMIT_RESP_20_FLOW = hex(
  '000000158000000400000013', // header: Total_Length 21, Command_Id CMPP_SUBMIT_RESP, Sequence_Id 19
  '0000000000000000', // Msg_Id: none
  '08', // Result 8 (flow control)
);

/** CMPP_DELIVER carrying a status report, 2.0 layout (§7.4.5.1): 60-octet Msg_Content */
export const DELIVER_REPORT_20 = hex(
  '000000910000000500000007', // header: Total_Length 145, Command_Id CMPP_DELIVER, Sequence_Id 7
  'b1b85308b6790002', // Msg_Id of the DELIVER itself
  '313036353731303030310000000000000000000000', // Dest_Id '1065710001'
  '4d4a5330303031000000', // Service_Id 'MJS0001'
  '000000', // TP_pid 0, TP_udhi 0, Msg_Fmt 0
  '313338303031333830303000000000000000000000', // Src_terminal_Id '13800138000' (the SUBMIT's destination, in a report)
  '01', // Registered_Delivery 1: this is a status report
  '3c', // Msg_Length 60
  'b1b85248b6790001', //   report Msg_Id: the one SUBMIT_RESP gave
  '44454c49565244', //   Stat 'DELIVRD'
  '32363131303331343035', //   Submit_time '2611031405' (YYMMDDHHMM)
  '32363131303331343035', //   Done_time '2611031405'
  '313338303031333830303000000000000000000000', //   Dest_terminal_Id '13800138000', 21 octets in 2.0
  '00000001', //   SMSC_sequence 1
  '0000000000000000', // Reserved: 8 octets
);

/** CMPP_DELIVER carrying a status report, 3.0 layout (§8.4.5.1): 71-octet Msg_Content */
export const DELIVER_REPORT_30 = hex(
  '000000b40000000500000008', // header: Total_Length 180, Command_Id CMPP_DELIVER, Sequence_Id 8
  'b1b85308b6790002', // Msg_Id of the DELIVER itself
  '313036353731303030310000000000000000000000', // Dest_Id '1065710001'
  '4d4a5330303031000000', // Service_Id 'MJS0001'
  '000000', // TP_pid 0, TP_udhi 0, Msg_Fmt 0
  '3133383030313338303030000000000000000000000000000000000000000000', // Src_terminal_Id, 32 octets in 3.0
  '00', // Src_terminal_type 0 (3.0 only)
  '01', // Registered_Delivery 1: status report
  '47', // Msg_Length 71
  'b1b85248b6790001', //   report Msg_Id
  '554e44454c4956', //   Stat 'UNDELIV'
  '32363131303331343035', //   Submit_time
  '32363131303331343036', //   Done_time
  '3133383030313338303030000000000000000000000000000000000000000000', //   Dest_terminal_Id, 32 octets in 3.0
  '00000002', //   SMSC_sequence 2
  '0000000000000000000000000000000000000000', // LinkID: 20 octets
);

/** CMPP_DELIVER from a phone, 2.0 layout (§7.4.5.1): '收到' */
export const DELIVER_MO_20 = hex(
  '000000590000000500000009', // header: Total_Length 89, Command_Id CMPP_DELIVER, Sequence_Id 9
  'b1b85308b6790002', // Msg_Id
  '313036353731303030310000000000000000000000', // Dest_Id '1065710001' (the service number the phone wrote to)
  '00000000000000000000', // Service_Id: empty
  '000008', // TP_pid 0, TP_udhi 0, Msg_Fmt 8 (UCS-2)
  '383631333830303133383030300000000000000000', // Src_terminal_Id '8613800138000'
  '00', // Registered_Delivery 0: a message from a phone
  '04', // Msg_Length 4
  '65365230', // '收到'
  '0000000000000000', // Reserved
);

/** CMPP_DELIVER_RESP, 2.0 layout (§7.4.5.2) */
export const DELIVER_RESP_20 = hex(
  '000000158000000500000007', // header: Total_Length 21, Command_Id CMPP_DELIVER_RESP, Sequence_Id 7
  'b1b85308b6790002', // Msg_Id of the DELIVER
  '00', // Result 0
);

/** CMPP_DELIVER_RESP, 3.0 layout (§8.4.5.2) */
export const DELIVER_RESP_30 = hex(
  '000000188000000500000008', // header: Total_Length 24, Command_Id CMPP_DELIVER_RESP, Sequence_Id 8
  'b1b85308b6790002', // Msg_Id of the DELIVER
  '00000000', // Result 0
);

/** CMPP_ACTIVE_TEST (§7.4.7.1): header only */
export const ACTIVE_TEST = hex(
  '0000000c0000000800000005', // header: Total_Length 12, Command_Id CMPP_ACTIVE_TEST, Sequence_Id 5
);

/** CMPP_ACTIVE_TEST_RESP (§7.4.7.2): one Reserved octet */
export const ACTIVE_TEST_RESP = hex(
  '0000000d8000000800000005', // header: Total_Length 13, Command_Id CMPP_ACTIVE_TEST_RESP, Sequence_Id 5
  '00', // Reserved
);

/** CMPP_TERMINATE (§7.4.2.1): header only */
export const TERMINATE = hex(
  '0000000c0000000200000006', // header: Total_Length 12, Command_Id CMPP_TERMINATE, Sequence_Id 6
);

/** CMPP_TERMINATE_RESP (§7.4.2.2): header only */
export const TERMINATE_RESP = hex(
  '0000000c8000000200000006', // header: Total_Length 12, Command_Id CMPP_TERMINATE_RESP, Sequence_Id 6
);

