//! The parts of an EDID block (VESA E-EDID 1.3/1.4, the 128-byte base block) that describe a
//! monitor to a person: maker, model, serial, size, year.

/// What a base EDID block says about its monitor.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Edid {
    /// Three-letter PNP id of the maker (`DEL`, `SAM`, ...).
    pub manufacturer: String,
    /// The model name descriptor (tag 0xFC), or the product code in hex when there is none.
    pub model: String,
    pub product_code: u16,
    /// The serial string descriptor (0xFF), or the numeric serial when there is none.
    pub serial: String,
    pub width_cm: u8,
    pub height_cm: u8,
    pub year: u16,
}

const HEADER: [u8; 8] = [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];

/// Parses a base block; None when `bytes` is not one (short, wrong header).
pub(crate) fn parse(bytes: &[u8]) -> Option<Edid> {
    let block = bytes.get(..128)?;
    if block[..8] != HEADER {
        return None;
    }
    let id = u16::from_be_bytes([block[8], block[9]]);
    let letter = |shift: u16| char::from(b'A' - 1 + ((id >> shift) & 0x1f) as u8);
    let manufacturer: String = [letter(10), letter(5), letter(0)].iter().collect();
    let product_code = u16::from_le_bytes([block[10], block[11]]);
    let serial_number = u32::from_le_bytes([block[12], block[13], block[14], block[15]]);
    let mut model = None;
    let mut serial = None;
    for descriptor in block[54..126].chunks_exact(18) {
        if descriptor[..3] != [0, 0, 0] {
            continue; // a detailed timing, not a text descriptor
        }
        let text = String::from_utf8_lossy(&descriptor[5..18]);
        let text = text.split('\n').next().unwrap_or("").trim().to_string();
        match descriptor[3] {
            0xFC => model = Some(text),
            0xFF => serial = Some(text),
            _ => {}
        }
    }
    Some(Edid {
        manufacturer,
        model: model.unwrap_or_else(|| format!("{product_code:04X}")),
        product_code,
        serial: serial.unwrap_or_else(|| if serial_number == 0 { String::new() } else { serial_number.to_string() }),
        width_cm: block[21],
        height_cm: block[22],
        year: 1990 + u16::from(block[17]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maker_model_and_size_and_rejects_junk() {
        let mut block = [0u8; 128];
        block[..8].copy_from_slice(&HEADER);
        block[8..10].copy_from_slice(&[0x10, 0xAC]); // "DEL"
        block[10..12].copy_from_slice(&[0x34, 0x12]);
        block[17] = 34;
        block[21] = 52;
        block[22] = 32;
        block[54 + 3] = 0xFC;
        block[54 + 5..54 + 18].copy_from_slice(b"DELL U2415\n  ");
        let edid = parse(&block).expect("a valid block");
        assert_eq!(edid.manufacturer, "DEL");
        assert_eq!(edid.model, "DELL U2415");
        assert_eq!(edid.product_code, 0x1234);
        assert_eq!((edid.width_cm, edid.height_cm, edid.year), (52, 32, 2024));
        assert_eq!(parse(&block[..100]), None);
        assert_eq!(parse(&[0u8; 128]), None);
    }
}
